DEPARTEMENT_FOLDER = "data/processed/departements/{departement}"


wildcard_constraints:
    departement="|".join(DEPARTEMENTS),
    region="|".join(REGIONS),


rule split_network:
    input:
        network="data/raw/networks/{filename}",
        departements="data/raw/departements.geojson",
    output:
        pieces=directory("data/processed/networks/pieces/{filename}"),
    wildcard_constraints:
        filename="|".join(re.escape(name) for name in RAW_NETWORKS) or "(?!)",
    params:
        codes=lambda wildcards: split_departements(wildcards.filename),
        buffer_km=config["networks"]["buffer_km"],
        pieces_per_pass=lambda wildcards: split_pieces_per_pass(wildcards.filename),
    threads: other_resource("threads")
    resources:
        mem_mb=split_resource("mem_mb"),
        runtime=split_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/split_network_{filename}.log",
    script:
        "../scripts/step.py"


rule prepare_network:
    input:
        lambda wildcards: prepare_input(wildcards.name),
        departements="data/raw/departements.geojson",
    output:
        prepared="data/processed/networks/{name}.npz",
    wildcard_constraints:
        name="|".join(re.escape(prepared_name(departement)) for departement in DEPARTEMENTS),
    params:
        path=lambda wildcards: prepare_path(wildcards.name),
        kind=lambda wildcards: network_source(prepared_departements(wildcards.name)[0])["source"],
        codes=lambda wildcards: prepared_departements(wildcards.name),
        buffer_km=config["networks"]["buffer_km"],
        overpass_url=config["networks"].get("overpass_url", ""),
        converter_defaults=lambda wildcards: converter_defaults(prepared_departements(wildcards.name)[0]),
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
    script:
        "../scripts/step.py"


rule network:
    input:
        prepared=lambda wildcards: prepared_network(wildcards.departement),
        departements="data/raw/departements.geojson",
        fitted=FITTED_SPEEDS,
    output:
        network=f"{DEPARTEMENT_FOLDER}/network.npz",
        warnings="data/processed/logs/warnings_network_{departement}.csv",
    params:
        origin=network_origin,
        codes=departement_codes,
        buffer_km=config["networks"]["buffer_km"],
        horizon_min=config["access"]["horizon_min"],
        speeds=config["speeds"],
    group:
        departement_group
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
    script:
        "../scripts/step.py"


rule access:
    input:
        network=rules.network.output.network,
        communes=rules.communes.output.communes,
        facilities=rules.facilities.output.csv,
        population_by_age="data/raw/population_by_age.xls",
        ehpad="data/processed/ehpad.csv",
    output:
        access=f"{DEPARTEMENT_FOLDER}/access_commune.csv",
        sites=f"{DEPARTEMENT_FOLDER}/access_sites.csv",
        coverage=f"{DEPARTEMENT_FOLDER}/coverage_departement.csv",
        critical=f"{DEPARTEMENT_FOLDER}/critical_sites.csv",
        times=f"{DEPARTEMENT_FOLDER}/node_times.npz",
        referral_ehpad=f"{DEPARTEMENT_FOLDER}/referral_ehpad.csv",
        referral_lisp=f"{DEPARTEMENT_FOLDER}/referral_lisp.csv",
        referral_departement=f"{DEPARTEMENT_FOLDER}/referral_departement.csv",
        warnings="data/processed/logs/warnings_access_{departement}.csv",
    params:
        origin=network_origin,
        codes=departement_codes,
        settings=access_settings("max_unknown_share", "thresholds_min"),
        editions=departement_editions,
        alternative=config["speeds"]["alternative"],
        age_year=config["population_75_plus"]["year"],
        referral=config["referral"],
    group:
        departement_group
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
    script:
        "../scripts/step.py"


rule isochrones:
    input:
        network=rules.network.output.network,
        times=rules.access.output.times,
        access=rules.access.output.access,
        departements="data/raw/departements.geojson",
    output:
        isochrones=f"{DEPARTEMENT_FOLDER}/isochrones.gpkg",
    params:
        codes=departement_codes,
        settings=access_settings("thresholds_min", "isochrone_buffer_m", "isochrone_method"),
    group:
        departement_group
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
    script:
        "../scripts/step.py"


rule commune_site_times:
    input:
        network=rules.network.output.network,
        access=rules.access.output.access,
        facilities=rules.facilities.output.csv,
    output:
        travel_times=f"{DEPARTEMENT_FOLDER}/travel_times.parquet",
    params:
        settings=access_settings(),
        e2sfca=config["e2sfca"],
    group:
        departement_group
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
    script:
        "../scripts/step.py"


rule nearest_sites:
    input:
        network=rules.network.output.network,
        access=rules.access.output.access,
        facilities=rules.facilities.output.csv,
    output:
        nearest=f"{DEPARTEMENT_FOLDER}/nearest_sites.csv",
    params:
        settings=access_settings(),
        sites_per_service=config["directory"]["sites_per_service"],
    group:
        departement_group
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
    script:
        "../scripts/step.py"


rule siting:
    input:
        network=rules.network.output.network,
        access=rules.access.output.access,
        facilities=rules.facilities.output.csv,
        register=FINESS_REGISTER,
    output:
        proposals=f"{DEPARTEMENT_FOLDER}/siting_{{service}}.csv",
        communes=f"{DEPARTEMENT_FOLDER}/siting_{{service}}_communes.csv",
    wildcard_constraints:
        service="|".join(SITING_SERVICES),
    params:
        codes=departement_codes,
        service=lambda wildcards: wildcards.service.upper(),
        settings=access_settings(),
        siting=config["siting"],
    group:
        departement_group
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
    script:
        "../scripts/step.py"


rule merge_run:
    input:
        parts=expand(f"{DEPARTEMENT_FOLDER}/{{table}}", departement=DEPARTEMENTS, table=DEPARTEMENT_TABLES),
    output:
        merged=expand("data/processed/{table}", table=DEPARTEMENT_TABLES),
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/merge_run.log",
    script:
        "../scripts/step.py"


rule capacity_access:
    input:
        travel_times="data/processed/travel_times.parquet",
        access="data/processed/access_commune.csv",
        facilities=rules.facilities.output.csv,
        indicators="data/processed/indicators_departement.csv",
    output:
        scores="data/processed/e2sfca_commune.csv",
        catchment_tables=[f"data/processed/catchments_{service.lower()}.csv" for service in CATCHMENT_SERVICES],
    params:
        settings=access_settings(),
        e2sfca=config["e2sfca"],
        catchment_services=CATCHMENT_SERVICES,
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/capacity_access.log",
    script:
        "../scripts/step.py"


rule merge_region:
    input:
        parts=region_parts,
    output:
        merged=expand("data/processed/regions/{{region}}/{table}", table=REGION_TABLES),
    params:
        whole_run=lambda wildcards: region_is_run(wildcards.region),
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/merge_region_{region}.log",
    script:
        "../scripts/step.py"


rule region_capacity_access:
    input:
        table=rules.capacity_access.output.scores,
    output:
        selected="data/processed/regions/{region}/e2sfca_commune.csv",
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
    script:
        "../scripts/step.py"
