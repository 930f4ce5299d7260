"""Markdown tables for policy writers (French labels, editions stated, numbers from the tables)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.calibration import unjudged_counts
from ..errors import ConfigError
from ..france.candidates import CandidateRule
from ..france.constants import UNITS
from ..france.indicators import GapRule
from ..france.registry import INDICATORS, decimals_of, of_theme, title_of
from .citations import sources_line
from .french import SERVICE_NAMES, UNIT_NAMES, counted, french_number, mco_beds_text, minutes_text, need_text

LISP_MCO_NOTE = (
    "Lits identifiés de soins palliatifs : la capacité ci-dessus compte tous les secteurs (MCO, SSR et autres : "
    "SAE, PALIA_A2 + PALIA_A3 + PALIA_A4). L'Observatoire national des soins palliatifs publie les seuls lits en "
    "MCO (PALIA_A2) : {beds} ici."
)
"""How the LISP capacity relates to the count the national observatory publishes, in French."""


def need_section(table: pd.DataFrame, national: pd.Series) -> list[str]:
    """Markdown lines: the supply counted against deaths in each département of ``table`` and in France, each
    figure's year; « non disponible » with its reason where a source does not give the département."""
    if "deaths" not in table:
        return []
    deaths_year, cancer_year = (int(table[c].dropna().iloc[0]) for c in ("deaths_year", "cancer_deaths_year"))
    missing = [*table.loc[table["deaths"].isna(), "nom"], *table.loc[table["cancer_deaths"].isna(), "nom"]]
    lines = [
        "## Offre rapportée aux décès", "",
        "Le besoin en soins palliatifs suit les décès, ceux par cancer d'abord, plus que la population : l'offre "
        f"rapportée aux décès domiciliés de {deaths_year} (INSEE, état civil), aux décès à 75 ans et plus, et aux "
        "décès "
        f"par cancer de {cancer_year} (Inserm CépiDc, cause initiale). France : les départements dont les décès sont "
        f"connus ({french_number(national['deaths'])} décès en {deaths_year}, "
        f"{french_number(national['cancer_deaths'])} par cancer en {cancer_year})."
        + (f" Non disponible pour {', '.join(dict.fromkeys(missing))} : la source ne donne pas ses décès."
           if missing else ""),
        "",
    ]  # fmt: skip
    need = of_theme("need")
    columns = ["deaths", "deaths_75_plus", "cancer_deaths", *need]
    header = ["Département", f"Décès {deaths_year}", "dont 75 ans et plus", f"Décès par cancer {cancer_year}",
              *map(title_of, need)]  # fmt: skip
    rows = [[f"{row['nom']} ({row['departement']})", *(need_text(c, row[c]) for c in columns)]
            for _, row in table.iterrows()]  # fmt: skip
    rows.append(["France", *(need_text(c, national.get(c, np.nan)) for c in columns)])
    return lines + markdown_table(header, rows) + [""]


DEPARTEMENT_COLUMNS = {
    "departement": "Code", "nom": "Département", "population": "Population",
    **{column: INDICATORS[column].short for column in (
        "usp_count", "usp_capacity", "usp_beds_per_100k", "usp_per_100k_75plus", "emsp_count", "inhabitants_per_emsp",
        "lisp_capacity", "lisp_mco_capacity", "lisp_per_1000", "had_capacity", "had_per_1000", "msp_count",
    )},
}  # fmt: skip
"""The columns of the report's table by département, with their headers."""


UNIT_ABSENT = {"beds": "sans lit", "places": "sans place"}
"""How a site declared with no capacity is said, by capacity unit (teams and structures always count one)."""


def capacity_caveats(editions: list[pd.DataFrame], codes: list[str]) -> list[str]:
    """French sentences for each site of the area declared with a service but no bed nor place, by edition: counted
    as a site, without capacity, which a reader sees as a jump between editions (« Lits d'USP 0 → 12 »)."""
    lines = []
    for table in editions:
        empty = table[table["departement"].isin(codes) & table["capacity_unit"].isin(list(UNIT_ABSENT))
                      & (pd.to_numeric(table["capacity"], errors="coerce") == 0)]  # fmt: skip
        for (edition, departement, service), group in empty.groupby(["edition", "departement", "service"], sort=True):
            sites = ", ".join(f"{name} (FINESS {finess})" for name, finess in zip(group["name"], group["finess"],
                                                                                  strict=True))  # fmt: skip
            lines.append(f"Donnée à lire avec prudence ({edition}, département {departement}) : "
                         f"{SERVICE_NAMES[service]} ({service}) déclarées {UNIT_ABSENT[group['capacity_unit'].iloc[0]]} "
                         f"à {sites} ; comptées comme site, sans capacité : une évolution des lits ou places du "
                         "département entre éditions peut venir de cette déclaration.")  # fmt: skip
    return lines


def rule_text(rule: GapRule, national: pd.Series) -> str:
    """A gap rule in words, its bar as a French number (and how it follows the national value), its code last
    (« Moins d'un lit d'USP pour 100 000 habitants (seuil : 1 ; règle `usp_beds_per_100k < 1`) »)."""
    decimals = max(decimals_of(rule.indicator), 0 if float(rule.bar(national)).is_integer() else 1)
    bar = french_number(rule.bar(national), decimals)
    if rule.fraction_of_national is not None:
        share = "la moitié" if rule.fraction_of_national == 0.5 else f"{french_number(rule.fraction_of_national, 2)} fois"
        bar += f", {share} de la valeur nationale, {french_number(float(national[rule.indicator]), decimals)}"
    return f"{rule.label} (seuil : {bar} ; règle `{rule.code(national)}`)"


def _cell(column: str, value: object) -> str:
    """Format one cell of the département table."""
    if column in ("departement", "nom"):
        return str(value)
    return french_number(float(value), decimals_of(column))


def markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Render a Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def gap_labels(row: pd.Series, rules: list[GapRule]) -> list[str]:
    """Labels of the gap rules a département fails, and of those that cannot be checked (indicator unknown)."""
    flags = {rule.label: row[f"gap_{rule.id}"] for rule in rules}
    return [label if not pd.isna(flag) else f"{label} : inconnu (donnée nationale absente pour ce département)"
            for label, flag in flags.items() if pd.isna(flag) or flag in (True, "True")]  # fmt: skip


def indicators_markdown(
    table: pd.DataFrame, totals: pd.DataFrame, national: pd.Series, rules: list[GapRule], editions: list[str]
) -> str:
    """The indicators by département as a Markdown document, with national totals, rules and editions."""
    lines = [
        "# Offre de soins palliatifs et d'accompagnement par département",
        "",
        sources_line(editions, "."),
        "",
        "## Totaux nationaux",
        "",
    ]
    lines += markdown_table(
        ["Service", "Sites", "Capacité", "Pour 1000 hab.", "Départements sans ce service"],
        [
            [
                SERVICE_NAMES[r.service],
                french_number(r.sites),
                counted(r.capacity, UNIT_NAMES[r.capacity_unit]),
                french_number(r.per_1000, 3),
                french_number(r.departements_without_service),
            ]
            for r in totals.itertuples()
        ],  # fmt: skip
    )
    lines += ["", LISP_MCO_NOTE.format(beds=mco_beds_text(float(national["lisp_mco_capacity"]))), ""]
    lines += [f"Population des {len(table)} départements : {french_number(national['population'])} habitants.", ""]
    lines += [
        f"{SERVICE_NAMES[r.service]} : offre inconnue dans {french_number(r.departements_unknown)} département(s), "
        "dont le fichier national ne liste aucun établissement (cellules vides ci-dessous, voir warnings.csv)."
        for r in totals.itertuples() if r.departements_unknown
    ]  # fmt: skip
    lines += [""] if totals["departements_unknown"].any() else []
    lines += ["## Règles d'écart", ""]
    lines += [f"- **{rule.id}** — {rule_text(rule, national)}. Source : {rule.source}" for rule in rules]
    lines += need_section(table, national)
    lines += ["", "## Indicateurs par département", ""]
    rows = [
        [_cell(c, row[c]) for c in DEPARTEMENT_COLUMNS] + ["; ".join(gap_labels(row, rules)) or "–"]
        for _, row in table.iterrows()
    ]
    lines += markdown_table([*DEPARTEMENT_COLUMNS.values(), "Écarts"], rows)
    return "\n".join(lines) + "\n"


def write_text(text: str, path: str | Path) -> None:
    """Write a UTF-8 text file, creating its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _share(value: float) -> str:
    """A share as a French percentage; "inconnue" when it is unknown (a network not covering the area)."""
    return "inconnue" if value is None or not np.isfinite(value) else f"{french_number(100 * value, 1)} %"


def _beyond(row: object) -> str:
    """Inhabitants known to live beyond a threshold, and their share of the département (unknown people apart)."""
    beyond = row.population - row.population_within - row.population_unknown
    share = beyond / row.population if np.isfinite(row.share_within) and row.population else np.nan
    return f"{french_number(beyond)} ({_share(share)})"


def _unknown_note(coverage: pd.DataFrame) -> list[str]:
    """A sentence per département with people off the road network, whose access is unknown."""
    off = coverage.drop_duplicates("departement").query("population_unknown > 0")
    return [
        f"{r.departement} : {french_number(r.population_unknown)} habitants ({_share(r.share_unknown)}) vivent dans "
        "des communes hors du réseau routier ; leur temps de trajet est inconnu et ils ne sont comptés ni en deçà "
        "ni au-delà des seuils."
        for r in off.itertuples()
    ]  # fmt: skip


def _weighted_quantiles(values: pd.Series, weights: pd.Series, quantiles: tuple[float, ...]) -> list[float]:
    """Population-weighted quantiles (the value below which that share of inhabitants lives); NaN without anybody
    (no commune reached)."""
    if not weights.sum() > 0:
        return [np.nan for _ in quantiles]
    order = np.argsort(values.to_numpy())
    cumulative = np.cumsum(weights.to_numpy()[order]) / weights.sum()
    return [float(values.to_numpy()[order][np.searchsorted(cumulative, q)]) for q in quantiles]


def catchment_section(tables: dict[str, pd.DataFrame], codes: list[str], e2sfca: str) -> list[str]:
    """Each service's catchments of the area's sites: the communes whose nearest site it is by road, their people
    and the capacity per 100,000 of them (:func:`coverage.core.access.catchments`, named)."""
    lines = [
        "## Aires de recrutement", "",
        "Chaque commune est rattachée au site le plus proche par la route (à égalité, le plus petit numéro FINESS) : "
        "l'aire de recrutement d'un site est l'ensemble des communes dont il est le plus proche. Contrairement à "
        f"l'accessibilité tenant compte des capacités ({e2sfca}), qui partage la capacité de chaque site entre toutes "
        "les communes à sa portée, une aire donne à chaque commune un seul site : la population dont une unité ou une "
        "équipe répond en premier. Les habitants de 75 ans et plus sont estimés par la part de leur département.", "",
    ]  # fmt: skip
    for service, table in tables.items():
        own = table[table["departement"].isin(codes)].sort_values(["departement", "population"],
                                                                    ascending=[True, False])  # fmt: skip
        unit = "ETP" if service == "EMSP" else UNIT_NAMES[UNITS[service]] + "s"
        lines += [f"### {SERVICE_NAMES[service]} ({service})", ""]
        lines += markdown_table(
            ["Établissement", "FINESS", "Département", "Communes", "Habitants", "dont 75 ans et plus (estimation)",
             f"Capacité ({unit})", "Pour 100 000 hab.", "Pour 100 000 hab. de 75 ans et plus", "Trajet médian"],
            [[str(r.name), r.finess, r.departement, french_number(r.communes), french_number(r.population),
              french_number(r.population_75_plus), french_number(r.capacity, 2 if service == "EMSP" else 0),
              french_number(r.capacity_per_100k, 2), french_number(r.capacity_per_100k_75plus, 2),
              minutes_text(r.median_min)]
             for r in own.itertuples()],
        ) + [""]  # fmt: skip
    return lines


REFERRAL_SHOWN = 10
"""EHPAD listed by name in the report: the farthest from an EMSP base."""


def referral_section(
    shares: pd.DataFrame, ehpad: pd.DataFrame, lisp: pd.DataFrame, indicators: pd.DataFrame
) -> list[str]:
    """The referral between tiers, in French: per département the EHPAD beyond the threshold of an EMSP base and of
    an HAD site, the LISP establishments beyond the threshold of a USP; the EHPAD farthest from an EMSP and every LISP
    establishment beyond (:mod:`coverage.france.referral`)."""
    if not len(shares):
        return []
    home_min, lisp_min = (float(shares[c].iloc[0]) for c in ("ehpad_threshold_min", "lisp_threshold_min"))
    names = indicators.set_index("departement")["nom"]
    teams = [s for s in ("EMSP", "HAD") if f"share_ehpad_beyond_{s.lower()}" in shares]
    lines = [
        "## Recours : EHPAD et établissements avec des LISP", "",
        "Les équipes mobiles (EMSP) et l'HAD se déplacent jusqu'aux résidents des EHPAD : temps de trajet depuis la "
        f"base la plus proche, et part des EHPAD à plus de {home_min:g} min. Un établissement avec des lits identifiés "
        "(LISP) adresse ses patients à une unité (USP) : temps de trajet jusqu'à l'USP la plus proche, et part des "
        f"établissements à plus de {lisp_min:g} min. Tableaux complets : referral_ehpad.csv, "
        "referral_lisp.csv.", "",
    ]  # fmt: skip
    units = ["USP"] if "share_lisp_beyond_usp" in shares else []
    header = ["Département", "EHPAD", *(f"à plus de {home_min:g} min d'une {s}" for s in teams),
              "Établissements avec LISP", *(f"à plus de {lisp_min:g} min d'une {s}" for s in units)]  # fmt: skip
    rows = [[f"{names.get(r['departement'], r['departement'])} ({r['departement']})", french_number(r["ehpad"]),
             *(_count_share(r[f"ehpad_beyond_{s.lower()}"], r[f"share_ehpad_beyond_{s.lower()}"]) for s in teams),
             french_number(r["lisp"]), *(_count_share(r["lisp_beyond_usp"], r["share_lisp_beyond_usp"]) for _ in units)]
            for _, r in shares.iterrows()]  # fmt: skip
    lines += markdown_table(header, rows) + [""]
    if "emsp_minutes" in ehpad and len(ehpad):
        far = ehpad.assign(order=ehpad["emsp_minutes"].fillna(np.inf)).sort_values("order", ascending=False)
        lines += [f"Les {REFERRAL_SHOWN} EHPAD les plus éloignés d'une base d'EMSP :", ""]
        lines += markdown_table(
            ["EHPAD", "FINESS", "Département", "EMSP la plus proche", "Trajet"],
            [[str(r.name), r.finess, r.departement, str(r.emsp_nearest_name) or "–", minutes_text(r.emsp_minutes)]
             for r in far.head(REFERRAL_SHOWN).itertuples()],
        ) + [""]  # fmt: skip
    beyond = lisp[~(lisp["usp_minutes"] <= lisp_min)] if "usp_minutes" in lisp else lisp.iloc[0:0]
    if len(beyond):
        lines += [f"Établissements avec des LISP à plus de {lisp_min:g} min d'une USP :", ""]
        lines += markdown_table(
            ["Établissement", "FINESS", "Département", "Lits identifiés", "USP la plus proche", "Trajet"],
            [[str(r.name), r.finess, r.departement, french_number(r.lisp_beds), str(r.usp_nearest_name) or "–",
              minutes_text(r.usp_minutes)] for r in beyond.sort_values("usp_minutes", na_position="first",
                                                                        ascending=False).itertuples()],
        ) + [""]  # fmt: skip
    return lines


def _count_share(count: float, share: float) -> str:
    """« 3 (12,5 %) »: a count and its share; the share « inconnue » when nothing is known."""
    return f"{french_number(count)} ({_share(share)})"


def _sensitivity(coverage: pd.DataFrame, speeds: dict) -> list[str]:
    """The share of each département beyond each threshold under the run's speed model and under its alternative."""
    thresholds = [t for t in sorted(coverage["threshold_min"].unique()) if t >= 30]
    lines = ["### Sensibilité au modèle de vitesse", ""]
    lines += [
        f"Part des habitants au-delà de chaque seuil avec le modèle de vitesse du calcul (« {speeds['model']} ») "
        f"et avec son alternative, {speeds['alternative_text']}.",
        "",
    ]
    header = ["Département", "Service"] + [f"Au-delà de {t:g} min ({m})" for t in thresholds
                                           for m in ("calcul", "alternative")]  # fmt: skip
    rows = []
    for (departement, service), group in coverage.groupby(["departement", "service"], sort=False):
        cells = []
        for row in group[group["threshold_min"] >= 30].sort_values("threshold_min").itertuples():
            cells += [_share(1 - row.share_within - row.share_unknown),
                      _share(1 - row.share_within_alternative - row.share_unknown)]  # fmt: skip
        rows.append([departement, service, *cells])
    return lines + markdown_table(header, rows) + [""]


def backup_section(table: pd.DataFrame, drive_time_min: float, horizon_min: float, count: int = 10) -> list[str]:
    """The ``count`` sites whose closure would put the most people beyond ``drive_time_min`` (every service
    together), from a :func:`coverage.core.access.sites_without_backup` table of the whole area, named
    (:func:`coverage.france.backup.named_sites`) with ``site_commune_name``, at ``drive_time_min`` and a longer
    threshold."""
    longer = table["threshold_min"].max()
    near, far = (table[table["threshold_min"] == t].set_index(["service", "finess"]) for t in (drive_time_min, longer))
    ranked = near[near["population_without_backup"] > 0].sort_values(
        ["population_without_backup", "finess"], ascending=[False, True]
    ).head(count)
    lines = [
        "## Sites sans relais", "",
        f"Habitants à moins de {drive_time_min:g} min d'un site et d'aucun autre site du même service : si ce site "
        f"fermait, ils seraient au-delà de {drive_time_min:g} min. Les {count} sites dont la fermeture éloignerait le "
        "plus d'habitants, tous services confondus, et le temps de trajet de ces habitants jusqu'au site suivant.", "",
    ]  # fmt: skip
    if ranked.empty:
        return lines + [f"Aucun site n'est seul à moins de {drive_time_min:g} min de ses habitants.", ""]
    header = ["Rang", "Établissement", "Service", "FINESS", "Commune", f"Habitants sans relais à {drive_time_min:g} min",
              "dont 75 ans et plus (estimation)", f"Sans relais à {longer:g} min", "Site suivant : médiane",
              "le plus loin"]  # fmt: skip
    rows = [
        [str(rank), str(row["name"]), service, finess, str(row["site_commune_name"]),
         french_number(row["population_without_backup"]), french_number(row["population_75_plus_without_backup"]),
         french_number(far["population_without_backup"].get((service, finess), 0)),
         minutes_text(row["median_backup_min"]), minutes_text(row["worst_backup_min"])]
        for rank, ((service, finess), row) in enumerate(ranked.iterrows(), start=1)
    ]  # fmt: skip
    return lines + markdown_table(header, rows) + [
        "",
        f"« non atteint » : aucun autre site du service à moins de {horizon_min:g} min pour une partie de ces "
        "habitants. Les 75 ans et plus sont estimés par la part de leur département (l'INSEE publie les âges par "
        "département). Le tableau complet, par département et par seuil, est `critical_sites.csv`.", "",
    ]  # fmt: skip


def area_report_markdown(
    label: str, indicators: pd.DataFrame, rules: list[GapRule], national: pd.Series, coverage: pd.DataFrame,
    access: pd.DataFrame, scores: pd.DataFrame, siting: dict[str, pd.DataFrame], pictures: dict[str, str],
    editions: list[str], method: dict, change_section: list[str] | None = None, summary: list[str] | None = None,
    ranking: str | None = None, backup: list[str] | None = None, catchment: list[str] | None = None,
    referral: list[str] | None = None,
) -> str:  # fmt: skip
    """The report of a study area for policy writers, in French; every number comes from the tables.

    ``change_section``: Markdown lines on the change between editions, placed after the supply; ``summary``:
    the summary page's lines, at the head; ``ranking``: the path of the départements' ranking picture, under
    the supply table; ``backup``: the sites without backup (:func:`backup_section`), after the drive times;
    ``catchment``: the catchments (:func:`catchment_section`), after the capacity-aware access; ``referral``: the
    EHPAD and LISP establishments (:func:`referral_section`), after the catchments.
    """
    lines = [f"# Soins palliatifs et d'accompagnement : {label}", "", sources_line(editions, "."), ""]
    lines += summary or []
    lines += ["## Offre par département", ""]
    rows = [
        [_cell(c, row[c]) for c in DEPARTEMENT_COLUMNS] + ["; ".join(gap_labels(row, rules)) or "–"]
        for _, row in indicators.iterrows()
    ]
    lines += markdown_table([*DEPARTEMENT_COLUMNS.values(), "Écarts"], rows)
    lines += ["", *need_section(indicators, national)] if "deaths" in indicators else []
    if ranking:
        lines += ["", f"![Classement des départements de la zone sur chaque indicateur d'offre]({ranking})", ""]
    lines += ["", *change_section] if change_section else []
    thresholds = sorted(coverage["threshold_min"].unique())
    lines += ["", "## Population éloignée des services (temps de trajet par la route)", ""]
    lines += ["Habitants au-delà de chaque seuil, et leur part dans la population du département.", ""]
    header = ["Département", "Service"] + [f"Au-delà de {t:g} min" for t in thresholds if t >= 30]
    rows = []
    for (departement, service), group in coverage.groupby(["departement", "service"], sort=False):
        cells = [_beyond(r) for r in group.sort_values("threshold_min").itertuples() if r.threshold_min >= 30]
        known = np.isfinite(group["share_within"].iloc[0])
        rows.append([departement, service, *cells,
                     *(minutes_text(group[c].iloc[0]) if known else "inconnu" for c in ("median_min", "p90_min"))])  # fmt: skip
    lines += markdown_table(header + ["Médiane", "9 habitants sur 10 à moins de"], rows)
    lines += ["", "La médiane est le temps en deçà duquel vit la moitié des habitants du département.", ""]
    lines += [*_unknown_note(coverage), ""] if (coverage["population_unknown"] > 0).any() else []
    if method["speeds"]["alternative"] is not None:
        lines += _sensitivity(coverage, method["speeds"])
    lines += ["", *backup] if backup else []
    lines += ["", "## Accessibilité tenant compte des capacités (E2SFCA)", ""]
    lines += [
        "Capacité accessible pour 1000 habitants, pondérée par le temps de trajet et par la population qui se "
        f"partage chaque site ({method['e2sfca']}). Répartition des habitants de chaque département : valeur en "
        "dessous de laquelle vit 10 %, 50 % (médiane) et 90 % de la population.",
        "",
    ]
    merged = scores.merge(access[["commune", "population"]], on="commune")
    rows = []
    for departement, group in merged.groupby("departement"):
        for column in [c for c in scores.columns if c.endswith("_access")]:
            valid = group[group[column].notna()]
            low, median, high = _weighted_quantiles(valid[column], valid["population"], (0.1, 0.5, 0.9))
            rows.append(
                [
                    departement,
                    column.removesuffix("_access").upper(),
                    *(french_number(v, 4) if np.isfinite(v) else "non calculé" for v in (low, median, high)),
                ]
            )
    lines += markdown_table(["Département", "Service", "10 %", "Médiane", "90 %"], rows)
    lines += ["", *catchment] if catchment else []
    lines += ["", *referral] if referral else []
    lines += ["", "## Propositions d'implantation", ""]
    lines += [
        (
            "Sites ajoutés un à un dans chaque département, chacun amenant le plus d'habitants du département à "
            f"moins de {method['siting']}."
        ),
        "",
    ]
    for service, table in siting.items():
        lines += [f"### {SERVICE_NAMES[service]} ({service})", ""]
        if table.empty:
            lines += ["Aucun candidat n'améliore la couverture.", ""]
            continue
        lines += markdown_table(
            ["Rang", "Établissement", "FINESS", "Département", "Habitants gagnés", "Part couverte après"],
            [
                [
                    str(r.rank),
                    str(r.name),
                    r.finess,
                    r.departement,
                    french_number(r.population_gain),
                    _share(r.share_covered_after),
                ]
                for r in table.itertuples()
            ],
        )
        lines.append("")
    lines += ["## Cartes", ""]
    lines += [f"![{caption}]({path})" + "\n" for caption, path in pictures.items()]
    lines += ["## Sources, normes et méthode", ""]
    lines += [f"- {edition}" for edition in editions]
    lines += ["", "Règles d'écart :", ""]
    lines += [f"- {rule_text(rule, national)}. Source : {rule.source}" for rule in rules]
    lines += ["", "Méthode :", ""] + [f"- {text}" for text in method["notes"]]
    return "\n".join(lines) + "\n"


def markdown_to_html(text: str, title: str, folder: Path) -> str:
    """A self-contained HTML page from the report's Markdown: tables styled, images embedded."""
    import base64

    import markdown

    def embed(match: re.Match) -> str:
        path = (folder / match.group(1)).resolve()
        return f'src="data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()}"'

    body = re.sub(r'src="([^"]+\.png)"', embed, markdown.markdown(text, extensions=["tables"]))
    return REPORT_PAGE.format(title=html.escape(title), body=body)


REPORT_PAGE = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{font: 15px/1.5 sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222;}}
table {{border-collapse: collapse; margin: 1em 0; font-size: 13px;}}
th, td {{border: 1px solid #bbb; padding: 3px 8px; text-align: right;}}
th {{background: #eef;}} td:first-child, td:nth-child(2) {{text-align: left;}}
img {{max-width: 100%; border: 1px solid #ddd; margin: 1em 0;}}
@page {{size: A4; margin: 14mm 12mm;}}
@media print {{
  body {{max-width: none; margin: 0; padding: 0; font-size: 10.5px;}}
  table {{font-size: 8px;}} th, td {{padding: 1px 4px;}}
  tr, img {{break-inside: avoid;}} h2, h3 {{break-after: avoid;}}
  img {{max-height: 230mm; display: block; margin: 0.5em auto;}}
}}
</style></head>
<body>
{body}
</body></html>
"""


BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def html_to_pdf(page: Path, out: Path) -> None:
    """Print a self-contained HTML page to an A4 PDF with headless Chromium (offline, no header or footer).

    Chromium lays the page out as a browser shows it (tables, embedded maps); the page's print
    style sets the margins and keeps rows and pictures whole.
    """
    import shutil
    import subprocess
    import tempfile

    browser = next((found for name in BROWSERS if (found := shutil.which(name))), None)
    if browser is None:
        raise ConfigError("the PDF report needs Chromium (Debian package chromium: `make chromium`)")
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        run = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             f"--user-data-dir={profile}", "--no-pdf-header-footer", f"--print-to-pdf={out}",
             Path(page).resolve().as_uri()],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    if run.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        raise ConfigError(f"Chromium could not print {page} to PDF: {run.stderr.strip()[-500:]}")


def _candidate_rules(siting: dict) -> str:
    """Where each sited service may open, in French."""
    rules = {service: CandidateRule.from_config(siting["candidates"][service]) for service in siting["services"]}
    return " ; ".join(f"{service} : {rule.describe()}" for service, rule in rules.items())


MODEL_WORDS = {"cap": "plafonnée par la limitation OSM (maxspeed)", "target": "égale à la limitation OSM (maxspeed)"}


def speed_model_text(name: str, model: dict) -> str:
    """French sentence describing a speed model of the config (``speeds.models``)."""
    speeds = model["class_kph"]
    main = ", ".join(f"{h} {french_number(speeds[h])}" for h in ("primary", "secondary", "tertiary", "residential")
                     if h in speeds)  # fmt: skip
    parts = [f"vitesse par classe de route ({main} km/h ; autres {french_number(speeds['default'])} km/h), "
             f"{MODEL_WORDS[model['maxspeed']]} là où elle existe"]  # fmt: skip
    if model["bend_coefficient"] > 0:
        parts.append(f"divisée par 1 + {french_number(model['bend_coefficient'], 3)} × (sinuosité − 1) dans les "
                     "virages (sinuosité : longueur du tronçon entre deux carrefours sur sa distance à vol d'oiseau)")
    if model["built_up_kph"] is not None:
        parts.append(f"au plus {french_number(model['built_up_kph'])} km/h en agglomération (au moins "
                     f"{model['built_up_min_junctions']} carrefours à moins de 300 m)")
    if model["junction_delay_s"] > 0:
        parts.append(f"{french_number(model['junction_delay_s'], 1)} s perdues à chaque carrefour")
    return f"« {name} » : " + " ; ".join(parts) + f". Source : {model['source']}"


ROLE_WORDS = {
    "fitted": "Modèle ajusté, sur les communes de l'ajustement",
    "k_fold": "Hors échantillon, chaque commune jugée par l'ajustement sur les autres blocs",
    "leave_one_out": "Hors échantillon, chaque département jugé par l'ajustement sur les autres",
    "shipped": "Modèle livré avec le projet, sur les mêmes communes",
    "alternative": "Modèle alternatif, sur les mêmes communes",
}


def calibration_text(
    validation: pd.DataFrame, label: str, driven: pd.DataFrame | None = None, communes: pd.DataFrame | None = None
) -> list[str]:
    """French sentences stating where the run's model was fitted and how close each model is to the official times,
    on the communes of the fit and on communes it never saw (``validation.csv``), and the speed as driven on each
    class group by the fitting trips (``class_groups.csv``); when nothing was fitted, why, from the reference
    communes' notes (``communes.csv``)."""
    every = validation[(validation["band"] == "all") & (validation["departements"] == "all")].set_index("role")
    lines = []
    if "fitted" in every.index:
        row = every.loc["fitted"]
        lines.append(f"Modèle de vitesse ajusté pour ce calcul sur les temps officiels de {int(row['timed'])} "
                     f"communes ({row['fitted_on']} ; {label}). Les communes qui accueillent un service d'urgences "
                     "sont à 0 min par convention du distancier : elles sont exclues de l'ajustement et des écarts, et "
                     "comptées dans la population.")  # fmt: skip
    else:
        lines.append(f"Le modèle de vitesse n'a pas pu être ajusté sur les temps officiels ({label}) : "
                     f"{_not_judged_text(communes)}. Le modèle livré avec le projet est gardé.")  # fmt: skip
    for role, words in ROLE_WORDS.items():
        if role not in every.index or not every.loc[role, "timed"] > 0:  # no commune to judge it on
            continue
        row = every.loc[role]
        lines.append(
            f"{words} (« {row['model']} ») : écart médian {french_number(row['median_bias_min'], 1)} min, écart "
            f"absolu moyen {french_number(row['mean_abs_error_min'], 1)} min, {_share(row['share_within_5_min'])} des "
            f"communes à moins de 5 min du temps officiel ; population à plus de 30 min : "
            f"{_share(row['population_beyond_30'])} (temps officiels : {_share(row['reference_population_beyond_30'])})."
        )
    if driven is not None and len(driven):
        groups = driven[(driven["group"] != "other") & (driven["km"] > 0)]
        lines.append("Vitesse moyenne des trajets de l'ajustement par classe de route (virages, agglomérations et "
                     "carrefours compris) : " + ", ".join(
                         f"{row.group} {french_number(row.driven_kph)} km/h sur {french_number(row.km)} km"
                         + ("" if row.fitted else " (vitesse a priori, trop peu parcourue pour être ajustée)")
                         for row in groups.itertuples()) + ".")  # fmt: skip
    return lines


UNJUDGED_WORDS = {
    "off_network": "hors du réseau routier",
    "site_off_network": "dont le site le plus proche à vol d'oiseau est hors du réseau",
    "beyond_edge": "dont le site le plus proche à vol d'oiseau est au-delà du bord du réseau",
    "host": "qui accueillent un site (0 min par convention du distancier)",
    "too_few": "de départements qui en ont trop peu de jugeables (calibration.min_communes)",
}
"""Why a reference commune is not judged, in French, by note code (:data:`coverage.core.calibration.UNJUDGED`)."""


def _not_judged_text(communes: pd.DataFrame | None) -> str:
    """Why no reference commune could be judged, in French."""
    if communes is None or communes.empty:
        return "aucune commune des départements du calcul n'a de temps officiel dans la table de référence"
    counts = " ; ".join(f"{french_number(n)} {UNJUDGED_WORDS[code]}" for code, n in unjudged_counts(communes).items())
    return f"aucune des {french_number(len(communes))} communes qui y ont un temps n'est jugeable ({counts})"


def method_notes(
    settings: dict, validation: pd.DataFrame | None = None, driven: pd.DataFrame | None = None,
    communes: pd.DataFrame | None = None,
) -> dict:  # fmt: skip
    """French sentences describing the method, from the configuration and the calibration's validation table,
    class groups and reference communes (none: the run kept the shipped model, whose source says where it was
    fitted)."""
    access, e2sfca, siting, speeds = settings["access"], settings["e2sfca"], settings["siting"], settings["speeds"]
    steps = ", ".join(f"{french_number(s['weight'], 2)} jusqu'à {s['max_min']:g} min" for s in e2sfca["steps"])
    directions = ", ".join(f"{service} : {'patient vers le site' if d == 'to_site' else 'équipe vers le patient'}"
                           for service, d in access["directions"].items())  # fmt: skip
    model, alternative = speeds["model"], speeds["alternative"]
    calibration = settings.get("calibration")
    fit = (calibration_text(validation, calibration["label"], driven, communes)
           if validation is not None and calibration else [])  # fmt: skip
    origin = {
        "densest_junctions": "au nœud routier de la commune qui a le plus de carrefours à moins de 300 m (son "
        "quartier le plus dense)",
        "nearest_road": "au nœud routier de la commune le plus proche de son point représentatif",
        "chef_lieu": "à son chef-lieu (le bourg de sa mairie, d'où partent les temps officiels du distancier Metric ; "
        "à défaut, au nœud routier le plus proche de son point représentatif) : les minutes d'une commune sont "
        "celles d'un trajet depuis son chef-lieu",
    }[access["origin"]]
    return {
        "e2sfca": f"pondération {steps}, nulle au-delà",
        "siting": f"{siting['minutes']:g} minutes ({siting['count']} sites au plus par service et par département)",
        "speeds": {
            "model": model,
            "alternative": alternative,
            "alternative_text": alternative and speed_model_text(alternative, speeds["models"][alternative]),
        },
        "notes": [
            "Temps de trajet par la route, plus court chemin sur le réseau routier réel. Modèle de vitesse "
            + speed_model_text(model, speeds["models"][model]) + ".",
            *fit,
            f"Temps calculés jusqu'à {access['horizon_min']:g} minutes ; au-delà, la commune est comptée hors "
            "d'atteinte.",
            f"Calcul département par département, sur le réseau routier du département prolongé de "
            f"{settings['networks']['buffer_km']:g} km au-delà de ses limites : les trajets qui traversent une "
            "frontière départementale sont comptés.",
            f"Sens du trajet : {directions}.",
            f"Population de chaque commune placée {origin} ; accès hors route en ligne droite à "
            f"{access['offroad_kph']:g} km/h.",
            f"Accessibilité E2SFCA (Luo et Qi, 2009) : {steps}.",
            f"Implantation : glouton, chaque site ajouté maximise la population nouvellement à moins de "
            f"{siting['minutes']:g} minutes ; candidats, parmi les établissements n'offrant pas encore le service : "
            f"{_candidate_rules(siting)}.",
        ],
    }


def picture_caption(picture: Path, titles: dict[str, str]) -> str:
    """French caption of a report picture: minutes to a service, or a national indicator's title."""
    if picture.stem.endswith("_minutes"):
        return f"Minutes jusqu'au site {picture.stem.removesuffix('_minutes').upper()} le plus proche"
    return f"France : {titles.get(picture.stem, picture.stem)} par département"
