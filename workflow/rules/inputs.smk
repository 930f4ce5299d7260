rule raw_sae:
    input:
        source("sae"),
    output:
        directory("data/raw/sae"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/raw_sae.log",
    shell:
        "python -m coverage copy-sae --folder {input:q} --target {output:q} 2>&1 | tee {log:q}"


rule raw_communes:
    input:
        source("communes"),
    output:
        directory("data/raw/communes"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/raw_communes.log",
    shell:
        "python -m coverage copy-communes --folder {input:q} --target {output:q} 2>&1 | tee {log:q}"


rule raw_file:
    input:
        lambda wildcards: source(wildcards.name),
    output:
        "data/raw/{name}.{ext}",
    wildcard_constraints:
        name="finess|population|departements",
        ext="csv|json|geojson",
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/raw_{name}.{ext}.log",
    shell:
        "python -m coverage copy-file --source {input:q} --target {output:q} 2>&1 | tee {log:q}"


rule raw_network:
    input:
        lambda wildcards: in_mirror(area_network(wildcards.area)["path"]),
    output:
        "data/raw/networks/{area}/{filename}",
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/raw_network_{area}_{filename}.log",
    shell:
        "python -m coverage copy-file --source {input:q} --target {output:q} 2>&1 | tee {log:q}"
