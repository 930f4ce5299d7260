rule raw_sae:
    input:
        lambda wildcards: sae_in_mirror(RUN_EDITION),
    output:
        target=directory("data/raw/sae"),
    params:
        edition=SAE_EDITIONS[RUN_EDITION],
        downloads=config["downloads"],
        mirror=lambda wildcards: str(MIRROR),
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/raw_sae.log",
    script:
        "../scripts/step.py"


use rule raw_sae as raw_sae_edition with:
    input:
        lambda wildcards: sae_in_mirror(wildcards.edition),
    output:
        target=directory("data/raw/sae_editions/{edition}"),
    wildcard_constraints:
        edition="|".join(re.escape(key) for key in SAE_EDITIONS if key != RUN_EDITION) or "(?!)",
    params:
        edition=lambda wildcards: SAE_EDITIONS[wildcards.edition],
        downloads=config["downloads"],
        mirror=lambda wildcards: str(MIRROR),
    log:
        "logs/raw_sae_{edition}.log",


rule raw_communes:
    input:
        in_mirror_if_present(config["sources"]["communes"]),
    output:
        target=directory("data/raw/communes"),
    params:
        relative=config["sources"]["communes"],
        downloads=config["downloads"],
        mirror=lambda wildcards: str(MIRROR),
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/raw_communes.log",
    script:
        "../scripts/step.py"


rule raw_file:
    input:
        lambda wildcards: in_mirror_if_present(config["sources"][wildcards.name]),
    output:
        target="data/raw/{name}.{ext}",
    wildcard_constraints:
        name="finess|population|population_by_age|deaths|cancer_deaths|departements|chefs_lieux|reference_times|reference_sites",
        ext="csv|json|geojson|xls",
    params:
        relative=lambda wildcards: config["sources"][wildcards.name],
        downloads=config["downloads"],
        mirror=lambda wildcards: str(MIRROR),
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/raw_{name}.{ext}.log",
    script:
        "../scripts/step.py"


rule raw_network:
    input:
        lambda wildcards: in_mirror_if_present(RAW_NETWORKS[wildcards.filename]),
    output:
        target="data/raw/networks/{filename}",
    wildcard_constraints:
        filename="|".join(RAW_NETWORKS).replace(".", r"\.") or "(?!)",
    params:
        relative=lambda wildcards: RAW_NETWORKS[wildcards.filename],
        downloads=config["downloads"],
        mirror=lambda wildcards: str(MIRROR),
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/raw_network_{filename}.log",
    script:
        "../scripts/step.py"
