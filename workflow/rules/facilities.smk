rule communes:
    input:
        population="data/raw/population.json",
        polygons="data/raw/communes",
        departements="data/raw/departements.geojson",
        chefs_lieux="data/raw/chefs_lieux.csv",
    output:
        communes="data/processed/communes.gpkg",
        rejects="data/processed/logs/rejects_population.csv",
        warnings="data/processed/logs/warnings_communes.csv",
    params:
        territory=TERRITORIES.codes,
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/communes.log",
    script:
        "../scripts/step.py"


rule finess:
    input:
        table="data/raw/finess.csv",
    output:
        register=FINESS_REGISTER,
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/finess.log",
    script:
        "../scripts/step.py"


rule facilities:
    input:
        [entry["path"] for entry in OWN_SITES],
        sae="data/raw/sae",
        finess="data/raw/finess.csv",
        register=FINESS_REGISTER,
        communes="data/processed/communes.gpkg",
        departements="data/raw/departements.geojson",
    output:
        csv="data/processed/facilities.csv",
        gpkg="data/processed/facilities.gpkg",
        unlisted="data/processed/logs/unlisted_services.csv",
        rejects="data/processed/logs/rejects_facilities.csv",
        warnings="data/processed/logs/warnings_facilities.csv",
    params:
        msp_category=config["facilities"]["msp_category"],
        tolerance_km=config["facilities"]["departement_tolerance_km"],
        own_sites=OWN_SITES,
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/facilities.log",
    script:
        "../scripts/step.py"


rule ehpad:
    input:
        finess="data/raw/finess.csv",
        register=FINESS_REGISTER,
        communes="data/processed/communes.gpkg",
        departements="data/raw/departements.geojson",
    output:
        csv="data/processed/ehpad.csv",
        warnings="data/processed/logs/warnings_ehpad.csv",
    params:
        category=config["facilities"]["ehpad_category"],
        tolerance_km=config["facilities"]["departement_tolerance_km"],
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/ehpad.log",
    script:
        "../scripts/step.py"


rule logs:
    input:
        rejects_parts=[
            rules.communes.output.rejects,
            rules.facilities.output.rejects,
            *expand(f"{EDITION_FOLDER}/logs/rejects_facilities.csv", edition=EARLIER_EDITIONS),
            *([REFERENCE_SITES_REJECTS] if CALIBRATION_DEPARTEMENTS else []),
        ],
        warnings_parts=[
            rules.communes.output.warnings,
            rules.facilities.output.warnings,
            *expand(f"{EDITION_FOLDER}/logs/warnings_facilities.csv", edition=EARLIER_EDITIONS),
            *expand("data/processed/logs/warnings_{step}_{departement}.csv", step=["network", "access"],
                    departement=DEPARTEMENTS),
            *(["data/processed/logs/warnings_calibration.csv"] if CALIBRATION_DEPARTEMENTS else []),
            "data/processed/logs/warnings_indicators.csv",
            "data/processed/logs/warnings_ehpad.csv",
        ],
    output:
        rejects="data/processed/rejects.csv",
        warnings="data/processed/warnings.csv",
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/logs.log",
    script:
        "../scripts/step.py"
