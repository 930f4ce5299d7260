rule raw_sae:
    input:
        lambda wildcards: sae_in_mirror(RUN_EDITION),
    output:
        directory("data/raw/sae"),
    params:
        edition=as_json(SAE_EDITIONS[RUN_EDITION]),
        downloads=as_json(config["downloads"]),
        mirror=lambda wildcards: str(MIRROR),
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/raw_sae.log",
    shell:
        "python -m coverage copy-sae --mirror {params.mirror:q} --edition {params.edition:q}"
        " --downloads {params.downloads:q} --target {output:q} 2>&1 | tee {log:q}"


use rule raw_sae as raw_sae_edition with:
    input:
        lambda wildcards: sae_in_mirror(wildcards.edition),
    output:
        directory("data/raw/sae_editions/{edition}"),
    wildcard_constraints:
        edition="|".join(re.escape(key) for key in SAE_EDITIONS if key != RUN_EDITION) or "(?!)",
    params:
        edition=lambda wildcards: as_json(SAE_EDITIONS[wildcards.edition]),
        downloads=as_json(config["downloads"]),
        mirror=lambda wildcards: str(MIRROR),
    log:
        "logs/raw_sae_{edition}.log",


rule raw_communes:
    input:
        in_mirror_if_present(config["sources"]["communes"]),
    output:
        directory("data/raw/communes"),
    params:
        relative=config["sources"]["communes"],
        downloads=as_json(config["downloads"]),
        mirror=lambda wildcards: str(MIRROR),
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/raw_communes.log",
    shell:
        "python -m coverage copy-communes --mirror {params.mirror:q} --relative {params.relative:q}"
        " --downloads {params.downloads:q} --target {output:q} 2>&1 | tee {log:q}"


rule raw_file:
    input:
        lambda wildcards: in_mirror_if_present(config["sources"][wildcards.name]),
    output:
        "data/raw/{name}.{ext}",
    wildcard_constraints:
        name="finess|population|population_by_age|departements|reference_times|reference_sites",
        ext="csv|json|geojson|xls",
    params:
        relative=lambda wildcards: config["sources"][wildcards.name],
        downloads=as_json(config["downloads"]),
        mirror=lambda wildcards: str(MIRROR),
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/raw_{name}.{ext}.log",
    shell:
        "python -m coverage copy-file --mirror {params.mirror:q} --relative {params.relative:q}"
        " --downloads {params.downloads:q} --target {output:q} 2>&1 | tee {log:q}"


rule raw_network:
    input:
        lambda wildcards: in_mirror_if_present(RAW_NETWORKS[wildcards.filename]),
    output:
        "data/raw/networks/{filename}",
    wildcard_constraints:
        filename="|".join(RAW_NETWORKS).replace(".", r"\.") or "(?!)",
    params:
        relative=lambda wildcards: RAW_NETWORKS[wildcards.filename],
        downloads=as_json(config["downloads"]),
        mirror=lambda wildcards: str(MIRROR),
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/raw_network_{filename}.log",
    shell:
        "python -m coverage copy-file --mirror {params.mirror:q} --relative {params.relative:q}"
        " --downloads {params.downloads:q} --target {output:q} 2>&1 | tee {log:q}"
