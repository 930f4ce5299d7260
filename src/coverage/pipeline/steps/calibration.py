"""The steps of workflow/rules/calibration.smk: the official reference sites, and the speed model fitted on the official
road times."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from ...core.access import AccessModel
from ...core.calibration import FitSettings, ReferenceNetwork, calibrate, config_fragment, reference_communes
from ...core.network import RoadNetwork, main_component
from ...core.speed_model import SpeedModel, speed_models
from ...france.constants import COLUMNS
from ...france.sources.boundaries import load_departements
from ...france.sources.emergency import emergency_sites, find_emergency_tables
from ...france.sources.finess import read_register
from ...france.sources.reference import load_reference_sites, load_reference_times
from ...france.sources.rejects import REJECT_COLUMNS, warnings_frame
from ...outputs.report import write_text
from ...tables import read_csv, with_sources, write_csv
from ._shared import read_communes

logger = logging.getLogger(__name__)


def reference_sites(*, sites: Path, register: Path, table: Path, rejects: Path) -> None:
    """The sites official road times go to (``table``: ``finess``, ``name``, ``kind``, ``lon``, ``lat``): built from
    the SAE emergency tables of folder ``sites`` placed by FINESS (its ``register``), or a planner's CSV with ``lon``
    and ``lat``; ``rejects``: the sites that cannot be placed."""
    if sites.is_dir():
        tables = find_emergency_tables(sites)
        built, unplaced = emergency_sites(tables["URGENCES2"], tables["SMURSAMU"], read_register(register))
    else:
        built, unplaced = load_reference_sites(sites), pd.DataFrame(columns=REJECT_COLUMNS)
    write_csv(built, table)
    write_csv(unplaced, rejects)


def calibration(
    *, networks: list[Path], communes: Path, reference: Path, sites: Path, departements: Path, codes: list[str],
    origin: str, settings: dict, speeds: dict, fit: dict, workers: int, fitted: Path, validation: Path, commune_times: Path,
    groups: Path, plot: Path, warnings: Path,
) -> None:  # fmt: skip
    """Fit the speed model on the reference communes of départements ``codes`` (on their prepared ``networks``,
    in that order), judge it on communes it never saw, and compare the shipped model and the alternative.

    A département with fewer than ``fit["min_communes"]`` judged communes is not fitted on; with none left, the
    shipped model is kept (``fitted`` then holds it, said so, and ``warnings``, about ``origin``, the configured
    reference times, says why) and only compared. Départements prepared from one
    source share its network (loaded once, routed once per model); the fits that judge the model run in
    ``workers`` processes.
    """
    from ...outputs.plot import plot_calibration

    places = read_communes(communes)
    minutes = load_reference_times(reference, fit["code_column"], fit["minutes_column"], places)
    access_model = AccessModel.from_config(settings)
    land = load_departements(departements).union_all()
    loaded: dict[Path, ReferenceNetwork] = {}
    for path in dict.fromkeys(networks):
        logger.info("loading the network %s", path.name)
        loaded[path] = ReferenceNetwork.of(main_component(RoadNetwork.load(path))[0], land)
    references = [
        reference_communes(code, loaded[path], places, minutes.set_index("commune")["minutes"], read_csv(sites),
                           access_model, columns=COLUMNS, direction=fit["direction"])
        for code, path in zip(codes, networks, strict=True)
    ]  # fmt: skip
    models = speeds["models"]
    shipped = SpeedModel.from_config(fit["model"], models[fit["model"]])
    compared = {"shipped": shipped, **({"alternative": speed_models(speeds)[1]} if speeds["alternative"] else {})}
    result = calibrate(references, shipped, compared, FitSettings.from_config(fit, models), label=fit["label"],
                       folds=fit["folds"], min_communes=fit["min_communes"], workers=workers)  # fmt: skip
    label = fit["label"]
    write_csv(with_sources(result.validation, [label]), validation)
    write_csv(with_sources(result.communes.rename(columns={"code": "commune"}), [label]), commune_times)
    write_csv(with_sources(result.exposure, [label]), groups)
    write_text(config_fragment(result, label), fitted)
    plot_calibration(result, label, plot)
    kept = f"speed model not fitted, the shipped model {shipped.name!r} kept: {result.not_fitted}"
    write_csv(warnings_frame(origin, [(None, "", kept)] if not result.fitted else []), warnings)
