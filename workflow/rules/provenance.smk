PUBLISHED = [
    *rules.facilities.output,
    *rules.logs.output,
    *rules.indicators.output,
    rules.ehpad.output.csv,
    *rules.html_map.output,
    *expand("maps/static/{indicator}.png", indicator=list(config["maps"]["indicators"])),
    *expand("data/processed/{table}", table=RUN_TABLES),
    *rules.capacity_access.output.catchment_tables,
    *expand("maps/{region}.html", region=REGIONS),
    *expand("maps/annuaire-{region}.html", region=REGIONS),
    *expand("reports/{region}.{suffix}", region=REGIONS, suffix=["md", "html", "pdf"]),
    *CALIBRATION_OUTPUTS,
    *CHANGE_OUTPUTS,
]


rule manifest:
    input:
        list(labelled_inputs()),
        sae=[sae_copy(key) for key in SAE_EDITIONS],
        finess="data/raw/finess.csv",
        facilities=rules.facilities.output.csv,
        outputs=PUBLISHED,
    output:
        manifest="data/processed/manifest.json",
    params:
        labelled=labelled_inputs(),
        config=config,
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/manifest.log",
    script:
        "../scripts/step.py"
