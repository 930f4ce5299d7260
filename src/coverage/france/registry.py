"""The indicator registry: each column of the indicators table, stated once, as every table, map, ranking, summary
and report shows it (its French title and table header, its unit, its decimals, which way is better, its theme on
the national map, the source of its supply). As OSRM's car profile states each rule once, as a table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Indicator:
    """One column of ``indicators_departement.csv``.

    Parameters
    ----------
    title
        Its French title: the national map's picker and legend, the printable maps, the ranking, the summary, the
        change tables and maps.
    header
        Its short French header in the report's table by département (the title when not given).
    unit
        What one unit of it counts, in French.
    decimals
        Decimals its values are shown with: counts whole, FTE to the hundredth, rates with their precision.
    better
        ``high`` (more is better supplied) or ``low`` (more inhabitants per team is less supply): the colours of
        its classes and the order of its ranking.
    theme
        ``count`` (sites and capacity), ``population`` (per inhabitant), ``elderly`` (per inhabitant aged 75 and
        over) or ``need`` (per death): its group in the national map's picker.
    source
        The source of its supply, as the editions cited name it first (``SAE``, ``FINESS``).
    """

    title: str
    unit: str
    decimals: int
    theme: str
    source: str = "SAE"
    better: str = "high"
    header: str = ""

    @property
    def short(self) -> str:
        """The header of its column in the report's table (the title when it has no header of its own)."""
        return self.header or self.title


def _count(title: str, unit: str, header: str = "", source: str = "SAE", decimals: int = 0) -> Indicator:
    """A count of sites or of capacity."""
    return Indicator(title, unit, decimals, "count", source, header=header)


INDICATORS: dict[str, Indicator] = {
    "msp_count": _count("Maisons de santé pluriprofessionnelles", "sites", "MSP", "FINESS"),
    "msp_capacity": _count("Maisons de santé pluriprofessionnelles (structures)", "structures", source="FINESS"),
    "had_count": _count("Établissements d'HAD", "sites"),
    "had_capacity": _count("Places d'HAD", "places", "Places HAD"),
    "emsp_count": _count("Équipes mobiles de soins palliatifs (EMSP)", "équipes", "EMSP"),
    "emsp_capacity": _count("Équipes mobiles de soins palliatifs (capacité)", "équipes"),
    "emsp_fte": _count("Personnel salarié des EMSP (ETP)", "ETP", decimals=2),
    "usp_count": _count("Établissements avec une USP", "sites", "USP"),
    "usp_capacity": _count("Lits d'USP", "lits", "Lits USP"),
    "usp_units": _count("Unités de soins palliatifs", "unités"),
    "lisp_count": _count("Établissements avec des LISP", "sites"),
    "lisp_capacity": _count("Lits identifiés de soins palliatifs (LISP)", "lits", "LISP (tous secteurs)"),
    "lisp_mco_capacity": _count("Lits identifiés de soins palliatifs en MCO", "lits", "dont LISP en MCO"),
    "usp_beds_per_100k": Indicator("Lits d'USP pour 100 000 habitants", "lits pour 100 000 habitants", 2,
                                   "population", header="Lits USP / 100 000 hab."),
    "inhabitants_per_emsp": Indicator("Habitants par EMSP", "habitants par équipe", 0, "population", better="low",
                                      header="Hab. / EMSP"),
    "lisp_per_1000": Indicator("Lits identifiés de soins palliatifs (LISP, tous secteurs : MCO, SSR, autres) pour "
                               "1000 habitants", "lits pour 1000 habitants", 3, "population",
                               header="LISP / 1000 hab."),
    "lisp_mco_per_1000": Indicator("Lits identifiés de soins palliatifs en MCO (décompte de l'Observatoire) pour "
                                   "1000 habitants", "lits pour 1000 habitants", 3, "population"),
    "had_per_1000": Indicator("Places d'HAD pour 1000 habitants", "places pour 1000 habitants", 3, "population",
                              header="HAD / 1000 hab."),
    "msp_per_1000": Indicator("Maisons de santé pluriprofessionnelles pour 1000 habitants",
                              "structures pour 1000 habitants", 3, "population", "FINESS"),
    "emsp_per_1000": Indicator("Équipes mobiles de soins palliatifs pour 1000 habitants", "équipes pour 1000 habitants",
                               3, "population"),
    "usp_per_1000": Indicator("Lits d'USP pour 1000 habitants", "lits pour 1000 habitants", 3, "population"),
    "usp_per_100k_75plus": Indicator("Lits d'USP pour 100 000 habitants de 75 ans et plus",
                                     "lits pour 100 000 habitants de 75 ans et plus", 1, "elderly",
                                     header="Lits USP / 100 000 hab. de 75 ans et plus"),
    "lisp_per_100k_75plus": Indicator("Lits identifiés (LISP) pour 100 000 habitants de 75 ans et plus",
                                      "lits pour 100 000 habitants de 75 ans et plus", 1, "elderly"),
    "had_per_100k_75plus": Indicator("Places d'HAD pour 100 000 habitants de 75 ans et plus",
                                     "places pour 100 000 habitants de 75 ans et plus", 1, "elderly"),
    "emsp_per_100k_75plus": Indicator("Équipes mobiles (EMSP) pour 100 000 habitants de 75 ans et plus",
                                      "équipes pour 100 000 habitants de 75 ans et plus", 1, "elderly"),
    "msp_per_100k_75plus": Indicator("Maisons de santé pluriprofessionnelles pour 100 000 habitants de 75 ans et plus",
                                     "structures pour 100 000 habitants de 75 ans et plus", 1, "elderly", "FINESS"),
    "usp_per_1000_deaths": Indicator("Lits d'USP pour 1000 décès", "lits pour 1000 décès", 1, "need"),
    "lisp_per_1000_deaths": Indicator("Lits identifiés (LISP, tous secteurs) pour 1000 décès", "lits pour 1000 décès",
                                      1, "need"),
    "emsp_per_10k_elderly_deaths": Indicator("Équipes mobiles (EMSP) pour 10 000 décès à 75 ans et plus",
                                             "équipes pour 10 000 décès à 75 ans et plus", 1, "need"),
    "palliative_beds_per_1000_cancer_deaths": Indicator("Lits d'USP et LISP pour 1000 décès par cancer",
                                                        "lits pour 1000 décès par cancer", 1, "need"),
}  # fmt: skip
"""Every indicator column, by name."""

SERVICE_RATES = {"USP": "usp_beds_per_100k", "EMSP": "inhabitants_per_emsp", "LISP": "lisp_per_1000",
                 "HAD": "had_per_1000", "MSP": "msp_per_1000"}  # fmt: skip
"""The rate each service is quoted by (the report's summary)."""


def decimals_of(column: str) -> int:
    """Decimals a column of the indicators table is shown with (whole for the counts of people and deaths)."""
    return INDICATORS[column].decimals if column in INDICATORS else 0


def title_of(column: str) -> str:
    """The French title of an indicator."""
    return INDICATORS[column].title


def theme_of(column: str) -> str | None:
    """The theme of an indicator (``need``: supply against deaths...), None for a column that is none."""
    return INDICATORS[column].theme if column in INDICATORS else None


def less_is_better(column: str) -> bool:
    """Whether a higher value of the indicator means less supply (reversed colours, ranking from the lowest)."""
    return column in INDICATORS and INDICATORS[column].better == "low"


def of_theme(theme: str) -> list[str]:
    """The indicators of a theme, in the registry's order."""
    return [name for name, indicator in INDICATORS.items() if indicator.theme == theme]
