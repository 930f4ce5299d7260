rule network:
    input:
        network=lambda wildcards: raw_network(wildcards.area),
        departements="data/raw/departements.geojson",
    output:
        npz="data/processed/networks/{area}.npz",
        warnings="data/processed/logs/warnings_network_{area}.csv",
    params:
        kind=lambda wildcards: area_network(wildcards.area)["source"],
        area_departements=lambda wildcards: as_json(config["areas"][wildcards.area]["departements"]),
        buffer_km=lambda wildcards: area_network(wildcards.area).get("buffer_km", 20),
        speeds=as_json(config["speeds"]),
        converter_defaults=lambda wildcards: as_json(area_network(wildcards.area).get("converter_default_maxspeeds", {})),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/network_{area}.log",
    shell:
        "python -m coverage network --kind {params.kind:q} --path={input.network:q} --departements {input.departements:q}"
        " --area-departements {params.area_departements:q} --buffer-km {params.buffer_km}"
        " --speeds {params.speeds:q} --converter-defaults {params.converter_defaults:q} --out {output.npz:q}"
        " --warnings {output.warnings:q}"
        " 2>&1 | tee {log:q}"


rule access:
    input:
        network=rules.network.output.npz,
        communes=rules.communes.output.communes,
        facilities=rules.facilities.output.csv,
    output:
        communes="data/processed/areas/{area}/access_commune.csv",
        sites="data/processed/areas/{area}/access_sites.csv",
        coverage="data/processed/areas/{area}/coverage_departement.csv",
        isochrones="data/processed/areas/{area}/isochrones.gpkg",
    params:
        area_departements=lambda wildcards: as_json(config["areas"][wildcards.area]["departements"]),
        settings=as_json(config["access"]),
        editions=area_editions,
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/access_{area}.log",
    shell:
        "python -m coverage access --network-path {input.network:q} --communes-path {input.communes:q}"
        " --facilities-csv {input.facilities:q} --area {wildcards.area:q}"
        " --area-departements {params.area_departements:q} --settings {params.settings:q}"
        " --editions {params.editions:q} --out-communes {output.communes:q} --out-sites {output.sites:q}"
        " --out-coverage {output.coverage:q}"
        " --out-isochrones {output.isochrones:q} 2>&1 | tee {log:q}"


rule capacity_access:
    input:
        network=rules.network.output.npz,
        access=rules.access.output.communes,
        facilities=rules.facilities.output.csv,
    output:
        csv="data/processed/areas/{area}/e2sfca_commune.csv",
        pairs="data/processed/areas/{area}/travel_times.parquet",
    params:
        settings=as_json(config["access"]),
        e2sfca=as_json(config["e2sfca"]),
        editions=area_editions,
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/capacity_access_{area}.log",
    shell:
        "python -m coverage capacity-access --network-path {input.network:q} --access-csv {input.access:q}"
        " --facilities-csv {input.facilities:q} --settings {params.settings:q} --e2sfca-settings {params.e2sfca:q}"
        " --editions {params.editions:q}"
        " --out-csv {output.csv:q} --out-pairs {output.pairs:q} 2>&1 | tee {log:q}"


rule siting:
    input:
        network=rules.network.output.npz,
        access=rules.access.output.communes,
        facilities=rules.facilities.output.csv,
        finess="data/raw/finess.csv",
    output:
        proposals="data/processed/areas/{area}/siting_{service}.csv",
        communes="data/processed/areas/{area}/siting_{service}_communes.csv",
    wildcard_constraints:
        service="|".join(SITING_SERVICES),
    params:
        area_departements=lambda wildcards: as_json(config["areas"][wildcards.area]["departements"]),
        service=lambda wildcards: wildcards.service.upper(),
        settings=as_json(config["access"]),
        siting=as_json(config["siting"]),
        editions=area_editions,
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/siting_{area}_{service}.log",
    shell:
        "python -m coverage siting --network-path {input.network:q} --access-csv {input.access:q}"
        " --facilities-csv {input.facilities:q} --finess {input.finess:q} --area {wildcards.area:q}"
        " --area-departements {params.area_departements:q} --service {params.service:q}"
        " --settings {params.settings:q} --siting-settings {params.siting:q} --editions {params.editions:q}"
        " --out {output.proposals:q} --out-communes {output.communes:q} 2>&1 | tee {log:q}"


rule merge_areas:
    input:
        expand("data/processed/areas/{area}/{{table}}", area=AREAS),
    output:
        "data/processed/{table}",
    wildcard_constraints:
        table="|".join(AREA_TABLES).replace(".", r"\."),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/merge_{table}.log",
    shell:
        "python -m coverage merge-areas --parts {input:q} --out {output:q} 2>&1 | tee {log:q}"
