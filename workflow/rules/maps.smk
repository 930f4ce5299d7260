rule html_map:
    input:
        indicators=rules.indicators.output.csv,
        facilities=rules.facilities.output.csv,
        departements="data/raw/departements.geojson",
        coverage="data/processed/coverage_departement.csv",
        change=CHANGE_OUTPUTS[:2],
    output:
        page="maps/index.html",
    params:
        layers=config["maps"]["indicators"],
        gaps=config["gaps"],
        editions=config["editions"],
        areas={region: entry.label for region, entry in REGIONS.items()},
        change_layers=config["changes"]["maps"],
        drive_time_min=config["maps"]["drive_time_min"],
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/html_map.log",
    script:
        "../scripts/step.py"


rule static_maps:
    input:
        indicators=rules.indicators.output.csv,
        facilities=rules.facilities.output.csv,
        departements="data/raw/departements.geojson",
    output:
        pngs=[f"maps/static/{indicator}.png" for indicator in config["maps"]["indicators"]],
    params:
        titles=config["maps"]["indicators"],
        gaps=config["gaps"],
        editions=config["editions"],
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/static_maps.log",
    script:
        "../scripts/step.py"


REGION_FOLDER = "data/processed/regions/{region}"


rule area_map:
    input:
        access=f"{REGION_FOLDER}/access_commune.csv",
        isochrones=f"{REGION_FOLDER}/isochrones.gpkg",
        sites=f"{REGION_FOLDER}/access_sites.csv",
        facilities=rules.facilities.output.csv,
        communes=rules.communes.output.communes,
        departements="data/raw/departements.geojson",
        siting=[f"{REGION_FOLDER}/siting_{service}{suffix}.csv" for service in SITING_SERVICES for suffix in ("", "_communes")],
        catchment_tables=rules.capacity_access.output.catchment_tables,
        referral_ehpad=f"{REGION_FOLDER}/referral_ehpad.csv",
    output:
        page="maps/{region}.html",
    params:
        codes=region_departements,
        region=lambda wildcards: wildcards.region,
        label=lambda wildcards: REGIONS[wildcards.region].label,
        map_service=config["access"]["map_service"],
        thresholds=config["access"]["thresholds_min"],
        horizon_min=config["access"]["horizon_min"],
        drive_time_min=config["maps"]["drive_time_min"],
        directions=config["access"]["directions"],
        editions=region_editions,
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/area_map_{region}.log",
    script:
        "../scripts/step.py"


rule directory:
    input:
        access=f"{REGION_FOLDER}/access_commune.csv",
        nearest=f"{REGION_FOLDER}/nearest_sites.csv",
        facilities=rules.facilities.output.csv,
        population="data/raw/population.json",
    output:
        page="maps/annuaire-{region}.html",
    params:
        label=lambda wildcards: REGIONS[wildcards.region].label,
        maps={code: f"{region}.html" for region, entry in REGIONS.items() for code in entry.departements},
        settings=config["access"],
        sites_per_service=config["directory"]["sites_per_service"],
        drive_time_min=config["maps"]["drive_time_min"],
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/directory_{region}.log",
    script:
        "../scripts/step.py"


rule area_static_maps:
    input:
        access=f"{REGION_FOLDER}/access_commune.csv",
        communes=rules.communes.output.communes,
        facilities=rules.facilities.output.csv,
        indicators=rules.indicators.output.csv,
    output:
        pngs=[f"maps/static/{{region}}/{service.lower()}_minutes.png" for service in config["access"]["directions"]],
        ranking="maps/static/{region}/classement.png",
    params:
        label=lambda wildcards: REGIONS[wildcards.region].label,
        services=list(config["access"]["directions"]),
        thresholds=config["access"]["thresholds_min"],
        horizon_min=config["access"]["horizon_min"],
        editions=region_editions,
        codes=region_departements,
        titles=config["maps"]["indicators"],
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/area_static_maps_{region}.log",
    script:
        "../scripts/step.py"


rule report:
    input:
        indicators=rules.indicators.output.csv,
        coverage=f"{REGION_FOLDER}/coverage_departement.csv",
        access=f"{REGION_FOLDER}/access_commune.csv",
        scores=f"{REGION_FOLDER}/e2sfca_commune.csv",
        siting=[f"{REGION_FOLDER}/siting_{service}.csv" for service in SITING_SERVICES],
        pictures=[*rules.area_static_maps.output.pngs, "maps/static/usp_beds_per_100k.png"],
        ranking=rules.area_static_maps.output.ranking,
        facilities=rules.facilities.output.csv,
        earlier=expand(f"{EDITION_FOLDER}/facilities.csv", edition=EARLIER_EDITIONS),
        validation=CALIBRATION_OUTPUTS[1:2],
        driven=CALIBRATION_OUTPUTS[3:4],
        judged=CALIBRATION_OUTPUTS[2:3],
        fitted=FITTED_SPEEDS,
        catchment_tables=rules.capacity_access.output.catchment_tables,
        referral=[f"{REGION_FOLDER}/referral_{kind}.csv" for kind in ("departement", "ehpad", "lisp")],
        change=CHANGE_OUTPUTS[:2],
    output:
        markdown="reports/{region}.md",
        html="reports/{region}.html",
    params:
        label=lambda wildcards: REGIONS[wildcards.region].label,
        codes=region_departements,
        gaps=config["gaps"],
        editions=region_editions,
        settings={
            **{key: config[key] for key in ("access", "e2sfca", "siting", "speeds", "calibration")},
            "networks": {"buffer_km": config["networks"]["buffer_km"]},
        },
        titles=config["maps"]["indicators"],
        drive_time_min=config["maps"]["drive_time_min"],
        change_layers=config["changes"]["maps"],
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/report_{region}.log",
    script:
        "../scripts/step.py"


rule report_pdf:
    input:
        html=rules.report.output.html,
    output:
        pdf="reports/{region}.pdf",
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/report_pdf_{region}.log",
    script:
        "../scripts/step.py"
