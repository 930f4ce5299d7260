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
            communes=f"{CALIBRATION_FOLDER}/communes.csv",
            plot=f"{CALIBRATION_FOLDER}/observed_vs_modelled.png",
        params:
            settings=as_json(config["access"]),
            speeds=as_json(config["speeds"]),
            fit=as_json(config["calibration"]),
        threads: other_resource("threads")
        resources:
            mem_mb=other_resource("mem_mb"),
            runtime=other_resource("runtime"),
        conda:
            "../envs/coverage.yaml"
        log:
            "logs/calibration.log",
        shell:
            "python -m coverage calibration --network-paths {input.networks:q} --communes-path {input.communes:q}"
            " --reference {input.reference:q} --sites {input.sites:q} --settings {params.settings:q}"
            " --speeds {params.speeds:q} --fit-settings {params.fit:q} --out-fitted {output.fitted:q}"
            " --out-validation {output.validation:q} --out-communes {output.communes:q} --out-plot {output.plot:q}"
            " 2>&1 | tee {log:q}"
