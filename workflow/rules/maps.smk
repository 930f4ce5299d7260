rule html_map:
    input:
        indicators=rules.indicators.output.csv,
        facilities=rules.facilities.output.csv,
        departements="data/raw/departements.geojson",
        change=CHANGE_OUTPUTS[:1],
    output:
        "maps/index.html",
    params:
        layers=as_json(config["maps"]["indicators"]),
        gaps=as_json(config["gaps"]),
        editions=as_json(config["editions"]),
        areas=as_json({region: entry.label for region, entry in REGIONS.items()}),
        change=lambda wildcards, input: as_json(list(input.change)),
        change_layers=as_json(config["changes"]["maps"]),
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/html_map.log",
    shell:
        "python -m coverage html-map --indicators-csv {input.indicators:q} --facilities-csv {input.facilities:q}"
        " --departements {input.departements:q} --layers {params.layers:q} --gaps {params.gaps:q}"
        " --editions {params.editions:q} --areas {params.areas:q} --change-csv {params.change:q}"
        " --change-layers {params.change_layers:q} --out {output:q} 2>&1 | tee {log:q}"


rule static_map:
    input:
        indicators=rules.indicators.output.csv,
        facilities=rules.facilities.output.csv,
        departements="data/raw/departements.geojson",
    output:
        "maps/static/{indicator}.png",
    wildcard_constraints:
        indicator="|".join(config["maps"]["indicators"]),
    params:
        title=lambda wildcards: config["maps"]["indicators"][wildcards.indicator],
        gaps=as_json(config["gaps"]),
        editions=as_json(config["editions"]),
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/static_map_{indicator}.log",
    shell:
        "python -m coverage static-map --indicators-csv {input.indicators:q} --facilities-csv {input.facilities:q}"
        " --departements {input.departements:q} --indicator {wildcards.indicator:q} --title {params.title:q}"
        " --gaps {params.gaps:q} --editions {params.editions:q} --out {output:q} 2>&1 | tee {log:q}"


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
    output:
        "maps/{region}.html",
    params:
        codes=region_departements,
        label=lambda wildcards: REGIONS[wildcards.region].label,
        map_service=config["access"]["map_service"],
        thresholds=as_json(config["access"]["thresholds_min"]),
        horizon_min=config["access"]["horizon_min"],
        editions=region_editions,
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/area_map_{region}.log",
    shell:
        "python -m coverage area-map --access-csv {input.access:q} --isochrones-path {input.isochrones:q}"
        " --sites-csv {input.sites:q} --facilities-csv {input.facilities:q} --communes-path {input.communes:q}"
        " --departements {input.departements:q} --area-departements {params.codes:q}"
        " --label {params.label:q} --map-service {params.map_service:q} --thresholds {params.thresholds:q}"
        " --horizon-min {params.horizon_min}"
        " --editions {params.editions:q} --siting-csvs {input.siting:q} --out {output:q} 2>&1 | tee {log:q}"


rule directory:
    input:
        access=f"{REGION_FOLDER}/access_commune.csv",
        nearest=f"{REGION_FOLDER}/nearest_sites.csv",
        facilities=rules.facilities.output.csv,
        population="data/raw/population.json",
    output:
        "maps/annuaire-{region}.html",
    params:
        label=lambda wildcards: REGIONS[wildcards.region].label,
        map_file=lambda wildcards: f"{wildcards.region}.html",
        settings=as_json(config["access"]),
        sites=config["directory"]["sites_per_service"],
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/directory_{region}.log",
    shell:
        "python -m coverage directory --access-csv {input.access:q} --nearest-csv {input.nearest:q}"
        " --facilities-csv {input.facilities:q} --population {input.population:q} --label {params.label:q}"
        " --map-file {params.map_file:q} --settings {params.settings:q} --count {params.sites}"
        " --out {output:q} 2>&1 | tee {log:q}"


rule area_static_map:
    input:
        access=f"{REGION_FOLDER}/access_commune.csv",
        communes=rules.communes.output.communes,
        facilities=rules.facilities.output.csv,
    output:
        "maps/static/{region}/{service}_minutes.png",
    wildcard_constraints:
        service="msp|had|emsp|usp|lisp",
    params:
        label=lambda wildcards: REGIONS[wildcards.region].label,
        service=lambda wildcards: wildcards.service.upper(),
        thresholds=as_json(config["access"]["thresholds_min"]),
        horizon_min=config["access"]["horizon_min"],
        editions=region_editions,
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/area_static_map_{region}_{service}.log",
    shell:
        "python -m coverage area-static-map --access-csv {input.access:q} --communes-path {input.communes:q}"
        " --facilities-csv {input.facilities:q} --service {params.service:q} --label {params.label:q}"
        " --thresholds {params.thresholds:q} --horizon-min {params.horizon_min} --editions {params.editions:q}"
        " --out {output:q} 2>&1 | tee {log:q}"


rule report:
    input:
        indicators=rules.indicators.output.csv,
        coverage=f"{REGION_FOLDER}/coverage_departement.csv",
        access=f"{REGION_FOLDER}/access_commune.csv",
        e2sfca=f"{REGION_FOLDER}/e2sfca_commune.csv",
        siting=[f"{REGION_FOLDER}/siting_{service}.csv" for service in SITING_SERVICES],
        pictures=[f"maps/static/{{region}}/{service.lower()}_minutes.png" for service in config["access"]["directions"]]
        + ["maps/static/usp_beds_per_100k.png"],
        facilities=rules.facilities.output.csv,
        validation=CALIBRATION_OUTPUTS[1:2],
        change=CHANGE_OUTPUTS[:1],
    output:
        markdown="reports/{region}.md",
        html="reports/{region}.html",
    params:
        label=lambda wildcards: REGIONS[wildcards.region].label,
        codes=region_departements,
        gaps=as_json(config["gaps"]),
        editions=region_editions,
        settings=as_json(
            {
                **{key: config[key] for key in ("access", "e2sfca", "siting", "speeds", "calibration")},
                "networks": {"buffer_km": config["networks"]["buffer_km"]},
            }
        ),
        validation=lambda wildcards, input: input.validation[0] if len(input.validation) else "",
        change=lambda wildcards, input: as_json(list(input.change)),
        titles=as_json(config["maps"]["indicators"]),
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/report_{region}.log",
    shell:
        "python -m coverage report --indicators-csv {input.indicators:q} --coverage-csv {input.coverage:q}"
        " --access-csv {input.access:q} --e2sfca-csv {input.e2sfca:q} --siting-csvs {input.siting:q}"
        " --pictures {input.pictures:q} --facilities-csv {input.facilities:q} --label {params.label:q}"
        " --area-departements {params.codes:q} --gaps {params.gaps:q} --editions {params.editions:q}"
        " --settings {params.settings:q} --titles {params.titles:q} --validation-csv {params.validation:q}"
        " --change-csv {params.change:q}"
        " --out-markdown {output.markdown:q} --out-html {output.html:q}"
        " 2>&1 | tee {log:q}"


rule report_pdf:
    input:
        rules.report.output.html,
    output:
        "reports/{region}.pdf",
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/report_pdf_{region}.log",
    shell:
        "python -m coverage report-pdf --page {input:q} --out {output:q} 2>&1 | tee {log:q}"
