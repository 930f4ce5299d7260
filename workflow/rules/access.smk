DEPARTEMENT_FOLDER = "data/processed/departements/{departement}"


wildcard_constraints:
    departement="|".join(DEPARTEMENTS),
    region="|".join(REGIONS),


rule split_network:
    input:
        network="data/raw/networks/{filename}",
        departements="data/raw/departements.geojson",
    output:
        directory("data/processed/networks/pieces/{filename}"),
    wildcard_constraints:
        filename="|".join(re.escape(name) for name in RAW_NETWORKS) or "(?!)",
    params:
        codes=lambda wildcards: as_json(split_departements(wildcards.filename)),
        buffer_km=config["networks"]["buffer_km"],
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/split_network_{filename}.log",
    shell:
        "python -m coverage split-network --source {input.network:q} --departements {input.departements:q}"
        " --departement-codes {params.codes:q} --buffer-km {params.buffer_km} --out {output:q} 2>&1 | tee {log:q}"


rule prepare_network:
    input:
        network=lambda wildcards: prepare_input(wildcards.name),
        departements="data/raw/departements.geojson",
    output:
        "data/processed/networks/{name}.npz",
    wildcard_constraints:
        name="|".join(re.escape(prepared_name(departement)) for departement in DEPARTEMENTS),
    params:
        path=lambda wildcards: prepare_path(wildcards.name),
        kind=lambda wildcards: network_source(prepared_departements(wildcards.name)[0])["source"],
        codes=lambda wildcards: as_json(prepared_departements(wildcards.name)),
        buffer_km=config["networks"]["buffer_km"],
        overpass_url=config["networks"].get("overpass_url", ""),
        converter_defaults=lambda wildcards: as_json(
            dict(
                sorted(
                    network_source(prepared_departements(wildcards.name)[0])
                    .get("converter_default_maxspeeds", {})
                    .items()
                )
            )
        ),
    threads: prepare_resource("threads")
    resources:
        mem_mb=prepare_resource("mem_mb"),
        runtime=prepare_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/prepare_network_{name}.log",
    benchmark:
        "data/processed/benchmarks/prepare_network/{name}.tsv"
    shell:
        "python -m coverage prepare-network --kind {params.kind:q} --path={params.path:q}"
        " --departements {input.departements:q} --departement-codes {params.codes:q} --buffer-km {params.buffer_km}"
        " --converter-defaults {params.converter_defaults:q} --overpass-url={params.overpass_url:q} --out {output:q}"
        " 2>&1 | tee {log:q}"


rule network:
    input:
        prepared=lambda wildcards: prepared_network(wildcards.departement),
        departements="data/raw/departements.geojson",
    output:
        npz=f"{DEPARTEMENT_FOLDER}/network.npz",
        warnings="data/processed/logs/warnings_network_{departement}.csv",
    params:
        origin=network_origin,
        codes=departement_codes,
        buffer_km=config["networks"]["buffer_km"],
        horizon_min=config["access"]["horizon_min"],
        speeds=as_json(config["speeds"]),
    threads: departement_resource("network", "threads")
    resources:
        mem_mb=departement_resource("network", "mem_mb"),
        runtime=departement_resource("network", "runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/network_{departement}.log",
    benchmark:
        "data/processed/benchmarks/network/{departement}.tsv"
    shell:
        "python -m coverage network --prepared {input.prepared:q} --origin {params.origin:q}"
        " --departements {input.departements:q} --departement-codes {params.codes:q} --buffer-km {params.buffer_km}"
        " --horizon-min {params.horizon_min} --speeds {params.speeds:q} --out {output.npz:q}"
        " --warnings {output.warnings:q} 2>&1 | tee {log:q}"


rule access:
    input:
        network=rules.network.output.npz,
        communes=rules.communes.output.communes,
        facilities=rules.facilities.output.csv,
    output:
        communes=f"{DEPARTEMENT_FOLDER}/access_commune.csv",
        sites=f"{DEPARTEMENT_FOLDER}/access_sites.csv",
        coverage=f"{DEPARTEMENT_FOLDER}/coverage_departement.csv",
        times=f"{DEPARTEMENT_FOLDER}/node_times.npz",
        warnings="data/processed/logs/warnings_access_{departement}.csv",
    params:
        origin=network_origin,
        codes=departement_codes,
        settings=as_json(config["access"]),
        editions=departement_editions,
    threads: departement_resource("access", "threads")
    resources:
        mem_mb=departement_resource("access", "mem_mb"),
        runtime=departement_resource("access", "runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/access_{departement}.log",
    benchmark:
        "data/processed/benchmarks/access/{departement}.tsv"
    shell:
        "python -m coverage access --network-path {input.network:q} --origin {params.origin:q}"
        " --communes-path {input.communes:q}"
        " --facilities-csv {input.facilities:q} --departement-codes {params.codes:q} --settings {params.settings:q}"
        " --editions {params.editions:q} --out-communes {output.communes:q} --out-sites {output.sites:q}"
        " --out-coverage {output.coverage:q} --out-times {output.times:q} --warnings {output.warnings:q}"
        " 2>&1 | tee {log:q}"


rule isochrones:
    input:
        network=rules.network.output.npz,
        times=rules.access.output.times,
        access=rules.access.output.communes,
        departements="data/raw/departements.geojson",
    output:
        f"{DEPARTEMENT_FOLDER}/isochrones.gpkg",
    params:
        codes=departement_codes,
        settings=as_json(config["access"]),
    threads: departement_resource("isochrones", "threads")
    resources:
        mem_mb=departement_resource("isochrones", "mem_mb"),
        runtime=departement_resource("isochrones", "runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/isochrones_{departement}.log",
    benchmark:
        "data/processed/benchmarks/isochrones/{departement}.tsv"
    shell:
        "python -m coverage isochrones --network-path {input.network:q} --times-path {input.times:q}"
        " --access-csv {input.access:q} --departements {input.departements:q} --departement-codes {params.codes:q}"
        " --settings {params.settings:q} --out {output:q} 2>&1 | tee {log:q}"


rule commune_site_times:
    input:
        network=rules.network.output.npz,
        access=rules.access.output.communes,
        facilities=rules.facilities.output.csv,
    output:
        f"{DEPARTEMENT_FOLDER}/travel_times.parquet",
    params:
        settings=as_json(config["access"]),
        e2sfca=as_json(config["e2sfca"]),
    threads: departement_resource("commune_site_times", "threads")
    resources:
        mem_mb=departement_resource("commune_site_times", "mem_mb"),
        runtime=departement_resource("commune_site_times", "runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/commune_site_times_{departement}.log",
    benchmark:
        "data/processed/benchmarks/commune_site_times/{departement}.tsv"
    shell:
        "python -m coverage commune-site-times --network-path {input.network:q} --access-csv {input.access:q}"
        " --facilities-csv {input.facilities:q} --settings {params.settings:q} --e2sfca-settings {params.e2sfca:q}"
        " --out {output:q} 2>&1 | tee {log:q}"


rule nearest_sites:
    input:
        network=rules.network.output.npz,
        access=rules.access.output.communes,
        facilities=rules.facilities.output.csv,
    output:
        f"{DEPARTEMENT_FOLDER}/nearest_sites.csv",
    params:
        settings=as_json(config["access"]),
        sites=config["directory"]["sites_per_service"],
    threads: departement_resource("nearest_sites", "threads")
    resources:
        mem_mb=departement_resource("nearest_sites", "mem_mb"),
        runtime=departement_resource("nearest_sites", "runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/nearest_sites_{departement}.log",
    benchmark:
        "data/processed/benchmarks/nearest_sites/{departement}.tsv"
    shell:
        "python -m coverage nearest-site-times --network-path {input.network:q} --access-csv {input.access:q}"
        " --facilities-csv {input.facilities:q} --settings {params.settings:q} --count {params.sites}"
        " --out {output:q} 2>&1 | tee {log:q}"


rule siting:
    input:
        network=rules.network.output.npz,
        access=rules.access.output.communes,
        facilities=rules.facilities.output.csv,
        finess="data/raw/finess.csv",
    output:
        proposals=f"{DEPARTEMENT_FOLDER}/siting_{{service}}.csv",
        communes=f"{DEPARTEMENT_FOLDER}/siting_{{service}}_communes.csv",
    wildcard_constraints:
        service="|".join(SITING_SERVICES),
    params:
        codes=departement_codes,
        service=lambda wildcards: wildcards.service.upper(),
        settings=as_json(config["access"]),
        siting=as_json(config["siting"]),
    threads: departement_resource("siting", "threads")
    resources:
        mem_mb=departement_resource("siting", "mem_mb"),
        runtime=departement_resource("siting", "runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/siting_{departement}_{service}.log",
    benchmark:
        "data/processed/benchmarks/siting/{departement}_{service}.tsv"
    shell:
        "python -m coverage siting --network-path {input.network:q} --access-csv {input.access:q}"
        " --facilities-csv {input.facilities:q} --finess {input.finess:q} --departement-codes {params.codes:q}"
        " --service {params.service:q} --settings {params.settings:q} --siting-settings {params.siting:q}"
        " --out {output.proposals:q} --out-communes {output.communes:q} 2>&1 | tee {log:q}"


rule merge_run:
    input:
        expand(f"{DEPARTEMENT_FOLDER}/{{{{table}}}}", departement=DEPARTEMENTS),
    output:
        "data/processed/{table}",
    wildcard_constraints:
        table="|".join(DEPARTEMENT_TABLES).replace(".", r"\."),
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/merge_{table}.log",
    shell:
        "python -m coverage merge-tables --parts {input:q} --out {output:q} 2>&1 | tee {log:q}"


rule capacity_access:
    input:
        pairs="data/processed/travel_times.parquet",
        access="data/processed/access_commune.csv",
        facilities=rules.facilities.output.csv,
    output:
        "data/processed/e2sfca_commune.csv",
    params:
        settings=as_json(config["access"]),
        e2sfca=as_json(config["e2sfca"]),
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/capacity_access.log",
    shell:
        "python -m coverage capacity-access --pairs-path {input.pairs:q} --access-csv {input.access:q}"
        " --facilities-csv {input.facilities:q} --settings {params.settings:q} --e2sfca-settings {params.e2sfca:q}"
        " --out {output:q} 2>&1 | tee {log:q}"


rule merge_region:
    input:
        lambda wildcards: expand(
            f"{DEPARTEMENT_FOLDER}/{wildcards.table}", departement=REGIONS[wildcards.region].departements
        ),
    output:
        "data/processed/regions/{region}/{table}",
    wildcard_constraints:
        table="|".join(DEPARTEMENT_TABLES).replace(".", r"\."),
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/merge_{region}_{table}.log",
    shell:
        "python -m coverage merge-tables --parts {input:q} --out {output:q} 2>&1 | tee {log:q}"


rule region_capacity_access:
    input:
        rules.capacity_access.output,
    output:
        "data/processed/regions/{region}/e2sfca_commune.csv",
    params:
        codes=region_departements,
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/region_capacity_access_{region}.log",
    shell:
        "python -m coverage select-departements --table {input:q} --departement-codes {params.codes:q}"
        " --out {output:q} 2>&1 | tee {log:q}"
