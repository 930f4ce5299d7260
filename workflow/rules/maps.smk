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
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/html_map.log",
    shell:
        "python -m coverage html-map --indicators-csv {input.indicators:q} --facilities-csv {input.facilities:q}"
        " --departements {input.departements:q} --layers {params.layers:q} --gaps {params.gaps:q}"
        " --editions {params.editions:q} --out {output:q} 2>&1 | tee {log:q}"


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
