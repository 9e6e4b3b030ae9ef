"""Presidio's AnalyzerEngine built offline from a ScannerConfig.

The spaCy model is loaded from an installed package or a folder and never downloaded; only the
pipeline components NER needs run (the tagger, parser and lemmatizer are switched off, and
Presidio's context words are matched against lower-cased tokens instead of lemmas); the stock
email recognizer is swapped for one that reads the bundled public-suffix list instead of
fetching it; recognizers for entity types the config does not count are left out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from govern import blas_threads
from govern.errors import BadInput
from govern.pii.config import MODEL_HELP, ModelInfo, ScannerConfig
from govern.pii.context_words import analyzer_class, context_enhancer
from govern.pii.pattern_gate import gate_pattern_recognizers

# spaCy labels Presidio has no PII type for: dropped instead of logged once per entity.
_IGNORED_LABELS = [
    "CARDINAL",
    "ORDINAL",
    "QUANTITY",
    "MONEY",
    "PERCENT",
    "WORK_OF_ART",
    "LAW",
    "LANGUAGE",
    "EVENT",
    "PRODUCT",
]
_EXTRA_MAPPING = {"FAC": "LOCATION"}
_NER_COMPONENTS = {"ner", "entity_ruler", "span_ruler", "beam_ner"}
_REPLACED_STOCK = {"EmailRecognizer", "PhoneRecognizer", "SpacyRecognizer", "NhsRecognizer"}


@dataclass
class Engine:
    """A loaded analyzer with the settings every analyze call needs."""

    analyzer: Any
    nlp_engine: Any
    language: str
    entities: list[str]
    score_threshold: float
    allow_list: list[str]
    model: ModelInfo
    active_components: list[str]


def _nlp_engine_class() -> type:
    from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine

    class OfflineSpacyNlpEngine(SpacyNlpEngine):
        """SpacyNlpEngine that loads one model offline and runs only what NER needs."""

        def __init__(self, model: ModelInfo, language: str, **kwargs: Any) -> None:
            super().__init__(
                models=[{"lang_code": language, "model_name": model.load_target}], **kwargs
            )
            self.model_info = model
            self._keyword_pieces: dict[tuple[str, str], tuple[str, ...]] = {}

        def load(self) -> None:
            import spacy

            language = self.models[0]["lang_code"]
            try:
                nlp = spacy.load(self.model_info.load_target)
            except (OSError, ImportError, ValueError) as error:
                raise BadInput(
                    f"spacy_model {self.model_info.spec!r} could not be loaded ({error}); {MODEL_HELP}"
                ) from None
            needed = [name for name in nlp.pipe_names if name in _NER_COMPONENTS]
            for name in nlp.pipe_names:
                listeners = getattr(nlp.get_pipe(name), "listening_components", None) or []
                if any(listener in needed for listener in listeners):
                    needed.append(name)
            nlp.select_pipes(enable=[name for name in nlp.pipe_names if name in needed])
            _numpy_matrix_products(nlp)
            self.nlp = {language: nlp}  # type: ignore[assignment]  # Presidio declares it None until loaded

        def process_batch(  # type: ignore[override]  # Presidio's two base classes disagree
            self,
            texts: Any,
            language: str,
            batch_size: int = 1,
            n_process: int = 1,
            as_tuples: bool = False,
        ) -> Iterator[Any]:
            """Presidio's process_batch, yielding each text as given instead of rebuilding it
            from the Doc's tokens (doc.text), and parsing entities in one sub-batch.

            spaCy's entity recognizer parses a batch in sub-batches of a quarter of its batch
            size; one sub-batch of the whole batch took 2-3% less CPU time (3,000 texts, eight
            alternating runs), with the same entities (each state is scored row by row either way).
            """
            if as_tuples or n_process != 1 or not self.nlp:
                yield from super().process_batch(texts, language, batch_size, n_process, as_tuples)
                return
            from spacy.pipeline.transition_parser import Parser

            nlp = self.nlp[language]
            texts = [str(text) for text in texts]
            parsers = {
                name: {"batch_size": 4 * batch_size}
                for name, pipe in nlp.pipeline
                if isinstance(pipe, Parser)
            }
            with blas_threads.one_thread():  # this process is one of one per core
                docs = list(nlp.pipe(texts, batch_size=batch_size, component_cfg=parsers))
            for text, doc in zip(texts, docs, strict=True):
                yield text, self._artifacts(doc, language, text)

        def keyword_pieces(self, lemma: str, language: str) -> tuple[str, ...]:
            """The keywords Presidio's NlpArtifacts.set_keywords makes of one lemma (none for a
            stop word, punctuation, -PRON- or be), kept per word: the vocabulary's flags were
            read for every word of every text with a context word."""
            key = (language, lemma)
            found = self._keyword_pieces.get(key)
            if found is None:
                keyword = (
                    not self.is_stopword(lemma, language)
                    and not self.is_punct(lemma, language)
                    and lemma != "-PRON-"
                    and lemma != "be"
                )
                found = tuple(lemma.lower().split(":")) if keyword else ()
                if len(self._keyword_pieces) >= 200_000:
                    self._keyword_pieces.clear()
                self._keyword_pieces[key] = found
            return found

        def _doc_to_nlp_artifact(self, doc: Any, language: str) -> Any:
            return self._artifacts(doc, language, None)

        def _artifacts(self, doc: Any, language: str, text: str | None) -> Any:
            default = self.ner_model_configuration.default_score
            ents = list(doc.ents)
            entities, scores = self._get_updated_entities(
                ents, [0.85 if default is None else default] * len(ents)
            )
            return LazyNlpArtifacts(doc, entities, scores, self, language, text)

    class LazyNlpArtifacts(NlpArtifacts):
        """NlpArtifacts whose lemmas, token offsets and keywords are built on first use.

        Only Presidio's context enhancer reads them, and only for texts where a recognizer with
        context words found something; building them for every text was a twentieth of the
        scan time. Without a lemmatizer the lower-cased word stands in for the lemma
        (the pipeline runs no lemmatizer: engine.load keeps only NER).
        """

        def __init__(
            self,
            doc: Any,
            entities: list[Any],
            scores: list[float],
            nlp_engine: Any,
            language: str,
            text: str | None = None,
        ) -> None:
            self.entities, self.tokens, self.scores = entities, doc, scores
            self._text = text  # the Doc's text, when the caller has it (doc.text rebuilds it)
            self.nlp_engine, self.language = nlp_engine, language
            self._lemmas: list[str] | None = None
            self._indices: list[int] | None = None
            self._ends: list[int] = []
            self._keywords: list[str] | None = None
            self._context_index: Any = False

        def _spans(self) -> None:
            # Offsets and lengths straight from the Doc's arrays: making a Token object per word
            # cost more than the rest of the context enhancer together.
            from spacy.attrs import IDX, LENGTH

            doc = self.tokens
            array = doc.to_array([IDX, LENGTH]).tolist() if len(doc) else []
            text = doc.text if self._text is None else self._text
            lower = text.lower()
            self._indices = [start for start, _ in array]
            self._ends = [start + length for start, length in array]
            if len(lower) == len(text):
                self._lemmas = [lower[start : start + length] for start, length in array]
            else:  # a letter whose lower case is longer (İ): offsets would drift, go word by word
                self._lemmas = [token.lower_ for token in doc]

        # built on first use instead of in __init__
        @property
        def lemmas(self) -> list[str]:  # type: ignore[override]
            if self._lemmas is None:
                self._spans()
            assert self._lemmas is not None
            return self._lemmas

        @property
        def tokens_indices(self) -> list[int]:  # type: ignore[override]
            if self._indices is None:
                self._spans()
            assert self._indices is not None
            return self._indices

        @property
        def keywords(self) -> list[str]:  # type: ignore[override]
            if self._keywords is None:
                self._keywords = self.set_keywords(self.nlp_engine, self.lemmas, self.language)
            return self._keywords

        def context_index(self) -> tuple[list[int], list[int], list[str]] | None:
            """What govern.pii.context_words reads: token end offsets, the positions of the
            tokens whose lower-cased lemma is a keyword, and the lower-cased lemmas (None when
            a token is empty, where Presidio's own loop must decide)."""
            if self._context_index is False:
                lemmas = self.lemmas
                ends, starts = self._ends, self.tokens_indices
                if any(end == start for start, end in zip(starts, ends, strict=True)):
                    self._context_index = None
                    return None
                pieces = self.nlp_engine.keyword_pieces
                keywords = {piece for lemma in lemmas for piece in pieces(lemma, self.language)}
                lowered = [lemma.lower() for lemma in lemmas]
                positions = [i for i, lemma in enumerate(lowered) if lemma in keywords]
                self._context_index = (ends, positions, lowered)
            return self._context_index  # type: ignore[no-any-return]

    return OfflineSpacyNlpEngine


def _numpy_matrix_products(nlp: Any) -> None:
    """Run the model's matrix products through numpy's BLAS instead of thinc's BLIS.

    On the CPU measured (no AVX2) BLIS took three times as long as OpenBLAS for the NER's
    token-vector products (700x288 by 288x288: 3.8 ms against 1.2 ms), and the NER 7.5-7.8 s of
    CPU on the 4,900 dev, tune and fresh texts against 5.3-6.1 s, with the same entities on every
    text. Only plain CPU ops are swapped (GPU or Apple ops stay); the parser's own per-step
    products still go through BLIS (thinc's CBlas, set in C).
    """
    from thinc.api import NumpyOps

    ops = NumpyOps(use_blis=False)
    for _, component in nlp.pipeline:
        model = getattr(component, "model", None)
        for node in model.walk() if model is not None else ():
            if type(node.ops) is NumpyOps:
                node.ops = ops


def _recognizer_name(recognizer: Any) -> str:
    return str(recognizer.name)


def _recognizer_order(recognizer: Any) -> tuple[str, str]:
    return _recognizer_name(recognizer), ",".join(recognizer.supported_entities)


def build_engine(config: ScannerConfig) -> Engine:
    """Load the model and assemble the registry: stock Presidio, govern's own, the YAML ones."""
    from presidio_analyzer import RecognizerRegistry
    from presidio_analyzer.nlp_engine import NerModelConfiguration

    from govern.pii.recognizers import build_recognizers, registered_names
    from govern.pii.recognizers.yaml_loader import load_recognizer_specs

    for noisy in ("presidio-analyzer", "presidio_analyzer"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    model = config.model_info()
    ner = NerModelConfiguration(labels_to_ignore=_IGNORED_LABELS)
    if ner.model_to_presidio_entity_mapping is not None:
        ner.model_to_presidio_entity_mapping.update(_EXTRA_MAPPING)
    nlp_engine = _nlp_engine_class()(model, config.language, ner_model_configuration=ner)
    nlp_engine.load()
    entities = list(config.effective_entities())
    wanted = set(entities)

    class OrderedRegistry(RecognizerRegistry):
        """Presidio returns recognizers from a set, so which of two identical findings survives
        its de-duplication (and so the recognizer recorded) changed from run to run. A fixed
        order makes a scan a function of its text and configuration."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._cached_key: Any = None
            self._cached: list[Any] = []

        def get_recognizers(
            self,
            language: str,
            entities: Any = None,
            all_fields: bool = False,
            ad_hoc_recognizers: Any = None,
        ) -> list[Any]:
            # Asked once per text with the same arguments: the answer is kept (the recognizer
            # list is fixed once the engine is built).
            key = (
                language,
                tuple(entities or ()),
                all_fields,
                id(self.recognizers),
                len(cast("list[Any]", self.recognizers)),
            )
            if ad_hoc_recognizers or key != self._cached_key:
                found = super().get_recognizers(language, entities, all_fields, ad_hoc_recognizers)
                found = sorted(found, key=_recognizer_order)
                if ad_hoc_recognizers:
                    return found
                self._cached_key, self._cached = key, found
            return list(self._cached)

    registry = OrderedRegistry(supported_languages=[config.language])
    registry.load_predefined_recognizers(languages=[config.language], nlp_engine=nlp_engine)
    # govern's own recognizers replace stock ones of the same name (UkNinoRecognizer, AuTfnRecognizer ...)
    replaced = _REPLACED_STOCK | registered_names()
    recognizers = [r for r in registry.recognizers if _recognizer_name(r) not in replaced]
    recognizers += build_recognizers(config.language)
    for path in config.recognizer_files():
        recognizers += [spec.build(config.language) for spec in load_recognizer_specs(path)]
    registry.recognizers = [
        r
        for r in recognizers
        if set(r.supported_entities) & wanted and r.supported_language == config.language
    ]
    gate_pattern_recognizers(registry.recognizers)
    analyzer = analyzer_class()(
        registry=registry,
        nlp_engine=nlp_engine,
        supported_languages=[config.language],
        default_score_threshold=config.score_threshold,
        context_aware_enhancer=context_enhancer(),
    )
    nlp = nlp_engine.get_nlp(config.language)
    return Engine(
        analyzer=analyzer,
        nlp_engine=nlp_engine,
        language=config.language,
        entities=entities,
        score_threshold=config.score_threshold,
        allow_list=list(config.allow_list),
        model=model,
        active_components=list(nlp.pipe_names),
    )
