"""The base of govern's regex recognizers: find spans, score them, let Presidio add context."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult


class SpanRecognizer(LocalRecognizer):
    """A recognizer that yields `(start, end, score)` spans of one entity type from plain text."""

    NAME: ClassVar[str]
    ENTITY: ClassVar[str]
    CONTEXT: ClassVar[list[str]] = []

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entities=[self.ENTITY],
            name=self.NAME,
            supported_language=supported_language,
            context=list(self.CONTEXT) or None,
        )

    def load(self) -> None:
        """Nothing to load: patterns are compiled at import."""

    def find(self, text: str) -> Iterable[tuple[int, int, float]]:
        """Spans of this recognizer's entity in `text`."""
        raise NotImplementedError

    def spans(self, text: str, nlp_artifacts: object = None) -> Iterable[tuple[int, int, float]]:
        """`find`, for recognizers that also read spaCy's output (tokens, entities)."""
        return self.find(text)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: object = None
    ) -> list[RecognizerResult]:
        results = []
        for start, end, score in self.spans(text, nlp_artifacts):
            results.append(
                RecognizerResult(
                    entity_type=self.ENTITY,
                    start=start,
                    end=end,
                    score=score,
                    analysis_explanation=AnalysisExplanation(
                        recognizer=self.NAME, original_score=score
                    ),
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: self.NAME,
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    },
                )
            )
        return results
