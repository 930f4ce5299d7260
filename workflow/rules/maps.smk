rule html_map:
    input:
        indicators=rules.indicators.output.csv,
        facilities=rules.facilities.output.csv,
        departements="data/raw/departements.geojson",
    output:
        "maps/index.html",
    params:
        layers=as_json(config["maps"]["indicators"]),
        gaps=as_json(config["gaps"]),
        editions=as_json(config["editions"]),
        areas=as_json({area: settings["label"] for area, settings in config["areas"].items()}),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/html_map.log",
    shell:
        "python -m coverage html-map --indicators-csv {input.indicators:q} --facilities-csv {input.facilities:q}"
        " --departements {input.departements:q} --layers {params.layers:q} --gaps {params.gaps:q}"
        " --editions {params.editions:q} --areas {params.areas:q} --out {output:q} 2>&1 | tee {log:q}"


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
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/static_map_{indicator}.log",
    shell:
        "python -m coverage static-map --indicators-csv {input.indicators:q} --facilities-csv {input.facilities:q}"
        " --departements {input.departements:q} --indicator {wildcards.indicator:q} --title {params.title:q}"
        " --gaps {params.gaps:q} --editions {params.editions:q} --out {output:q} 2>&1 | tee {log:q}"


rule area_map:
    input:
        access=rules.access.output.communes,
        isochrones=rules.access.output.isochrones,
        sites=rules.access.output.sites,
        facilities=rules.facilities.output.csv,
        communes=rules.communes.output.communes,
        departements="data/raw/departements.geojson",
        siting=lambda wildcards: [
            f"data/processed/areas/{wildcards.area}/siting_{service}{suffix}.csv"
            for service in SITING_SERVICES
            for suffix in ("", "_communes")
        ],
    output:
        "maps/{area}.html",
    wildcard_constraints:
        area="|".join(AREAS),
    params:
        area_departements=lambda wildcards: as_json(config["areas"][wildcards.area]["departements"]),
        label=lambda wildcards: config["areas"][wildcards.area]["label"],
        map_service=config["access"]["map_service"],
        thresholds=as_json(config["access"]["thresholds_min"]),
        editions=area_editions,
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/area_map_{area}.log",
    shell:
        "python -m coverage area-map --access-csv {input.access:q} --isochrones-path {input.isochrones:q}"
        " --sites-csv {input.sites:q} --facilities-csv {input.facilities:q} --communes-path {input.communes:q}"
        " --departements {input.departements:q} --area-departements {params.area_departements:q}"
        " --label {params.label:q} --map-service {params.map_service:q} --thresholds {params.thresholds:q}"
        " --editions {params.editions:q} --siting-csvs {input.siting:q} --out {output:q} 2>&1 | tee {log:q}"


rule area_static_map:
    input:
        access=rules.access.output.communes,
        communes=rules.communes.output.communes,
        facilities=rules.facilities.output.csv,
    output:
        "maps/static/{area}/{service}_minutes.png",
    wildcard_constraints:
        area="|".join(AREAS),
        service="msp|had|emsp|usp|lisp",
    params:
        label=lambda wildcards: config["areas"][wildcards.area]["label"],
        service=lambda wildcards: wildcards.service.upper(),
        thresholds=as_json(config["access"]["thresholds_min"]),
        editions=area_editions,
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/area_static_map_{area}_{service}.log",
    shell:
        "python -m coverage area-static-map --access-csv {input.access:q} --communes-path {input.communes:q}"
        " --facilities-csv {input.facilities:q} --service {params.service:q} --label {params.label:q}"
        " --thresholds {params.thresholds:q} --editions {params.editions:q} --out {output:q} 2>&1 | tee {log:q}"


rule report:
    input:
        indicators=rules.indicators.output.csv,
        coverage=rules.access.output.coverage,
        access=rules.access.output.communes,
        e2sfca=rules.capacity_access.output.csv,
        siting=expand("data/processed/areas/{{area}}/siting_{service}.csv", service=SITING_SERVICES),
        pictures=lambda wildcards: [
            f"maps/static/{wildcards.area}/{service.lower()}_minutes.png" for service in config["access"]["directions"]
        ]
        + ["maps/static/usp_beds_per_100k.png"],
        facilities=rules.facilities.output.csv,
    output:
        markdown="reports/{area}.md",
        html="reports/{area}.html",
    wildcard_constraints:
        area="|".join(AREAS),
    params:
        label=lambda wildcards: config["areas"][wildcards.area]["label"],
        area_departements=lambda wildcards: as_json(config["areas"][wildcards.area]["departements"]),
        gaps=as_json(config["gaps"]),
        editions=area_editions,
        settings=as_json({key: config[key] for key in ("access", "e2sfca", "siting")}),
        titles=as_json(config["maps"]["indicators"]),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/report_{area}.log",
    shell:
        "python -m coverage report --indicators-csv {input.indicators:q} --coverage-csv {input.coverage:q}"
        " --access-csv {input.access:q} --e2sfca-csv {input.e2sfca:q} --siting-csvs {input.siting:q}"
        " --pictures {input.pictures:q} --facilities-csv {input.facilities:q} --label {params.label:q}"
        " --area-departements {params.area_departements:q} --gaps {params.gaps:q} --editions {params.editions:q}"
        " --settings {params.settings:q} --titles {params.titles:q}"
        " --out-markdown {output.markdown:q} --out-html {output.html:q}"
        " 2>&1 | tee {log:q}"
