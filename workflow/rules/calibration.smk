# The run's speed model fitted on official road times (calibration.departements: those of the run the reference
# covers): the network jobs then drive at the fitted speeds (FITTED_SPEEDS). A run with none keeps the shipped model.
CALIBRATION_OUTPUTS = (
    [*FITTED_SPEEDS, *(f"{CALIBRATION_FOLDER}/{name}" for name in
                       ("validation.csv", "communes.csv", "class_groups.csv", "observed_vs_modelled.png"))]
    if CALIBRATION_DEPARTEMENTS
    else []
)


if CALIBRATION_DEPARTEMENTS and SITES_FROM_TABLES:

    rule raw_reference_sites:
        input:
            in_mirror_if_present(config["sources"]["reference_sites"]),
        output:
            target=directory("data/raw/reference_sites"),
        params:
            relative=config["sources"]["reference_sites"],
            downloads=config["downloads"],
            mirror=lambda wildcards: str(MIRROR),
        threads: other_resource("threads")
        resources:
            mem_mb=other_resource("mem_mb"),
            runtime=other_resource("runtime"),
        conda:
            "../envs/coverage.yaml"
        log:
            "logs/raw_reference_sites.log",
        script:
            "../scripts/step.py"


if CALIBRATION_DEPARTEMENTS:

    rule reference_sites:
        input:
            sites=RAW_SOURCES["reference_sites"],
            register=FINESS_REGISTER,
        output:
            table=f"{CALIBRATION_FOLDER}/reference_sites.csv",
            rejects=REFERENCE_SITES_REJECTS,
        threads: other_resource("threads")
        resources:
            mem_mb=other_resource("mem_mb"),
            runtime=other_resource("runtime"),
        conda:
            "../envs/coverage.yaml"
        log:
            "logs/reference_sites.log",
        script:
            "../scripts/step.py"

    rule calibration:
        input:
            networks=[prepared_network(departement) for departement in CALIBRATION_DEPARTEMENTS],
            communes=rules.communes.output.communes,
            reference="data/raw/reference_times.csv",
            sites=rules.reference_sites.output.table,
            departements="data/raw/departements.geojson",
        output:
            fitted=FITTED_SPEEDS[0],
            validation=f"{CALIBRATION_FOLDER}/validation.csv",
            commune_times=f"{CALIBRATION_FOLDER}/communes.csv",
            groups=f"{CALIBRATION_FOLDER}/class_groups.csv",
            plot=f"{CALIBRATION_FOLDER}/observed_vs_modelled.png",
            warnings="data/processed/logs/warnings_calibration.csv",
        params:
            codes=CALIBRATION_DEPARTEMENTS,
            origin=in_mirror(config["sources"]["reference_times"]),
            settings=access_settings(),
            speeds=config["speeds"],
            # how to fit (where is `codes`), keys in a fixed order: a config written otherwise does not refit
            fit=sorted_keys({k: v for k, v in config["calibration"].items() if k not in ("departements", "max_departements")}),
            workers=lambda wildcards, threads: threads,
        # Every drive-time job waits for the fitted speeds, and the calibration needs both cores: first in line.
        priority: 10
        threads: calibration_resource("threads")
        resources:
            mem_mb=calibration_resource("mem_mb"),
            runtime=calibration_resource("runtime"),
        conda:
            "../envs/coverage.yaml"
        log:
            "logs/calibration.log",
        benchmark:
            "data/processed/benchmarks/calibration/run.tsv"
        script:
            "../scripts/step.py"
