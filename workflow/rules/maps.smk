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
    output:
        "maps/{area}.html",
    wildcard_constraints:
        area="|".join(AREAS),
    params:
        area_departements=lambda wildcards: as_json(config["areas"][wildcards.area]["departements"]),
        label=lambda wildcards: config["areas"][wildcards.area]["label"],
        map_service=config["access"]["map_service"],
        thresholds=as_json(config["access"]["thresholds_min"]),
        editions=as_json(config["editions"]),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/area_map_{area}.log",
    shell:
        "python -m coverage area-map --access-csv {input.access:q} --isochrones-path {input.isochrones:q}"
        " --sites-csv {input.sites:q} --facilities-csv {input.facilities:q} --communes-path {input.communes:q}"
        " --departements {input.departements:q} --area-departements {params.area_departements:q}"
        " --label {params.label:q} --map-service {params.map_service:q} --thresholds {params.thresholds:q}"
        " --editions {params.editions:q} --out {output:q} 2>&1 | tee {log:q}"
