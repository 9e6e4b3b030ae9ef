"""The one vocabulary of legal bases: what a dataset may declare and what a pack may name.

    canonical_basis("legitimate_interest")        # 'legitimate_interests' (an explicit alias)
    require_basis("hipaa_tpo", "--legal-basis")   # 'treatment_payment_operations'
    basis_problem("notice", "legal_bases[2]")     # the message naming the field and the choices

`govern dataset add --legal-basis`, `dataset amend --field legal_basis` and every pack's
`provenance.legal_bases` / `consent.applies_to_legal_bases` use this list, so a basis a pack
allows is one a dataset can declare. Names are compared in their canonical form; an alias is
mapped only when it is listed in `ALIASES`, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

from govern.errors import BadInput


@dataclass(frozen=True)
class LegalBasis:
    """One basis: its canonical name, the regime it comes from and where that regime defines it."""

    name: str
    regime: str
    citation: str
    meaning: str


_BASES = (
    # GDPR Article 6(1) (a)-(f).
    LegalBasis("consent", "GDPR", "GDPR Art. 6(1)(a)", "the data subject consented"),
    LegalBasis("contract", "GDPR", "GDPR Art. 6(1)(b)", "needed for a contract with the subject"),
    LegalBasis(
        "legal_obligation", "GDPR", "GDPR Art. 6(1)(c)", "needed to meet a legal obligation"
    ),
    LegalBasis("vital_interests", "GDPR", "GDPR Art. 6(1)(d)", "needed to protect someone's life"),
    LegalBasis(
        "public_task", "GDPR", "GDPR Art. 6(1)(e)", "a task in the public interest or official"
    ),
    LegalBasis(
        "legitimate_interests",
        "GDPR",
        "GDPR Art. 6(1)(f)",
        "the controller's legitimate interests, balanced against the subject's",
    ),
    # HIPAA Privacy Rule, 45 CFR Part 164.
    LegalBasis(
        "authorization",
        "HIPAA",
        "45 CFR 164.508",
        "the patient signed a HIPAA authorization for this use",
    ),
    LegalBasis(
        "treatment_payment_operations",
        "HIPAA",
        "45 CFR 164.506",
        "use for treatment, payment or health care operations",
    ),
    LegalBasis(
        "deidentified",
        "HIPAA",
        "45 CFR 164.514(a)-(b)",
        "de-identified health information, which is not PHI",
    ),
    LegalBasis(
        "limited_data_set",
        "HIPAA",
        "45 CFR 164.514(e)",
        "a limited data set under a data use agreement",
    ),
    # US state consumer privacy laws (CCPA/CPRA and the laws modelled on it or on the VCDPA).
    LegalBasis(
        "notice_at_collection",
        "US state privacy",
        "Cal. Civ. Code 1798.100(a)",
        "the consumer was told at collection that the data would be used for this purpose",
    ),
    LegalBasis(
        "opt_out_not_exercised",
        "US state privacy",
        "Cal. Civ. Code 1798.120, 1798.135; Va. Code 59.1-577(A)(5)",
        "the consumer was offered an opt-out of sale, sharing or profiling and did not use it",
    ),
)

LEGAL_BASES: dict[str, LegalBasis] = {basis.name: basis for basis in _BASES}

ALIASES: dict[str, str] = {
    "legitimate_interest": "legitimate_interests",
    "vital_interest": "vital_interests",
    "hipaa_authorization": "authorization",
    "hipaa_tpo": "treatment_payment_operations",
    "tpo": "treatment_payment_operations",
    "hipaa_deidentified": "deidentified",
    "de_identified": "deidentified",
}


def canonical_basis(name: str | None) -> str | None:
    """The canonical name for `name` (case and surrounding space ignored), or None if unknown."""
    if name is None:
        return None
    key = name.strip().lower().replace("-", "_")
    if key in LEGAL_BASES:
        return key
    return ALIASES.get(key)


def basis_problem(name: str, field: str) -> str | None:
    """Why `name` is not a legal basis, naming `field` and the choices; None when it is one."""
    if canonical_basis(name) is not None:
        return None
    return (
        f"{field} {name!r} is not a legal basis govern knows; choose one of "
        f"{', '.join(LEGAL_BASES)} (the README's 'Legal bases' table says what each means)"
    )


def require_basis(name: str, field: str) -> str:
    """The canonical name for `name`; BadInput naming `field` when it is not a known basis."""
    canonical = canonical_basis(name)
    if canonical is None:
        raise BadInput(str(basis_problem(name, field)))
    return canonical
