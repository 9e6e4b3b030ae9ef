"""Presidio's context-word score boost, looked up by token offsets instead of token loops.

The rules are Presidio's `LemmaContextAwareEnhancer`'s: a result of a recognizer with context
words gains `context_similarity_factor` (at least `min_score_with_context_similarity`, at most 1)
when one of those words is a substring of a keyword among the `context_prefix_count + 1`
keywords up to the token holding the result's start, or the `context_suffix_count + 1` from it.
Presidio finds that token by walking the spaCy Doc (a Token object per word), tests each lemma
against a list of keywords, and deep-copies every result; here the token is found by bisection
over token end offsets, keyword positions are computed once per text, and results are updated in
place (they are the fresh results of this analyze call). Only results of recognizers with
context words are looked at; the others pass through untouched, ahead of the looked-at ones.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any


def context_enhancer() -> Any:
    """A LemmaContextAwareEnhancer with the same results, faster."""
    from presidio_analyzer import RecognizerResult
    from presidio_analyzer.context_aware_enhancers import (
        ContextAwareEnhancer,
        LemmaContextAwareEnhancer,
    )

    key = RecognizerResult.RECOGNIZER_IDENTIFIER_KEY
    boosted_key = RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY

    class ContextOnlyWhereNeeded(LemmaContextAwareEnhancer):
        """Presidio's context enhancer, handed only results whose recognizer has context words."""

        def enhance_using_context(
            self,
            text: str,
            raw_results: list[RecognizerResult],
            nlp_artifacts: Any,
            recognizers: list[Any],
            context: Any = None,
        ) -> list[RecognizerResult]:
            with_context = {r.id for r in recognizers if r.context}
            todo: list[RecognizerResult] = []
            rest: list[RecognizerResult] = []
            for result in raw_results:
                own = (result.recognition_metadata or {}).get(key) in with_context
                (todo if own else rest).append(result)
            if not todo and not context:
                return raw_results
            index_of = getattr(nlp_artifacts, "context_index", None)
            index = index_of() if index_of is not None else None
            if index is None:  # artifacts of another engine, or empty tokens: Presidio's loops
                return rest + super().enhance_using_context(
                    text, todo, nlp_artifacts, recognizers, context
                )
            by_id = {recognizer.id: recognizer for recognizer in recognizers}
            extra = [word.lower() for word in context] if context else []
            for result in todo:
                recognizer = by_id[result.recognition_metadata[key]]
                if not recognizer.context or result.recognition_metadata.get(boosted_key):
                    continue
                words = self._surrounding(index, result.start, text[result.start : result.end])
                words.extend(extra)
                found = self._find_supportive_word_in_context(
                    words, recognizer.context, self.context_matching_mode
                )
                if found != "":
                    score = result.score + self.context_similarity_factor
                    score = max(score, self.min_score_with_context_similarity)
                    result.score = min(score, ContextAwareEnhancer.MAX_SCORE)
                    if result.analysis_explanation is not None:
                        result.analysis_explanation.set_supportive_context_word(found)
                        result.analysis_explanation.set_improved_score(result.score)
            return rest + todo

        def _surrounding(
            self, index: tuple[list[int], list[int], list[str]], start: int, word: str
        ) -> list[str]:
            """The keywords around the token at `start` (Presidio's _extract_surrounding_words)."""
            ends, positions, lowered = index
            if not ends:
                return [""]
            token = bisect_right(ends, start)  # the first token ending after `start`
            if token == len(ends):
                raise ValueError(
                    f"Did not find word '{word}' in the list of tokens although it is expected to be found"
                )
            upto = bisect_right(positions, token)
            backward = positions[max(0, upto - max(0, self.context_prefix_count + 1)) : upto]
            since = bisect_left(positions, token)
            forward = positions[since : since + max(0, self.context_suffix_count + 1)]
            return list({lowered[p] for p in backward} | {lowered[p] for p in forward})

    return ContextOnlyWhereNeeded()


def analyzer_class() -> type:
    """AnalyzerEngine whose context step sorts results by recognizer in one pass.

    Presidio's `_enhance_using_context` builds, for every recognizer, the list of its results and
    the list of the others' (two scans of all results per recognizer per text), only to hand
    them to `EntityRecognizer.enhance_using_context`, which returns its own results unchanged
    unless a recognizer overrides it. The order (by recognizer) and what is dropped (results of
    no listed recognizer) are the same.
    """
    from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerResult

    key = RecognizerResult.RECOGNIZER_IDENTIFIER_KEY
    unchanged = EntityRecognizer.enhance_using_context

    class GroupingAnalyzerEngine(AnalyzerEngine):
        def _enhance_using_context(
            self,
            text: str,
            raw_results: list[RecognizerResult],
            nlp_artifacts: Any,
            recognizers: list[Any],
            context: Any = None,
        ) -> list[RecognizerResult]:
            by_id: dict[Any, list[RecognizerResult]] = {}
            for result in raw_results:
                by_id.setdefault(result.recognition_metadata[key], []).append(result)
            results: list[RecognizerResult] = []
            for recognizer in recognizers:
                own = by_id.get(recognizer.id, [])
                if type(recognizer).enhance_using_context is not unchanged:
                    own = recognizer.enhance_using_context(
                        text=text,
                        raw_recognizer_results=list(own),
                        other_raw_recognizer_results=[
                            r for r in raw_results if r.recognition_metadata[key] != recognizer.id
                        ],
                        nlp_artifacts=nlp_artifacts,
                        context=context,
                    )
                results.extend(own)
            return self.context_aware_enhancer.enhance_using_context(
                text=text,
                raw_results=results,
                nlp_artifacts=nlp_artifacts,
                recognizers=recognizers,
                context=context,
            )

    return GroupingAnalyzerEngine
