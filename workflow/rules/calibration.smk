CALIBRATION_FOLDER = "data/processed/calibration"
CALIBRATION_OUTPUTS = (
    [f"{CALIBRATION_FOLDER}/{name}" for name in ("speeds_fitted.yaml", "validation.csv", "communes.csv",
                                                 "observed_vs_modelled.png")]
    if config["calibration"]
    else []
)


if config["calibration"]:

    rule calibration:
        input:
            networks=expand(f"{DEPARTEMENT_FOLDER}/network.npz", departement=config["calibration"]["departements"]),
            communes=rules.communes.output.communes,
            reference="data/raw/reference_times.csv",
            sites="data/raw/reference_sites.csv",
        output:
            fitted=f"{CALIBRATION_FOLDER}/speeds_fitted.yaml",
            validation=f"{CALIBRATION_FOLDER}/validation.csv",
            commune_times=f"{CALIBRATION_FOLDER}/communes.csv",
            plot=f"{CALIBRATION_FOLDER}/observed_vs_modelled.png",
        params:
            settings=config["access"],
            speeds=config["speeds"],
            fit=config["calibration"],
        threads: other_resource("threads")
        resources:
            mem_mb=other_resource("mem_mb"),
            runtime=other_resource("runtime"),
        conda:
            "../envs/coverage.yaml"
        log:
            "logs/calibration.log",
        script:
            "../scripts/step.py"
