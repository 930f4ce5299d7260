rule indicators:
    input:
        facilities=rules.facilities.output.csv,
        unlisted=rules.facilities.output.unlisted,
        communes=rules.communes.output.communes,
        departements="data/raw/departements.geojson",
        population_by_age="data/raw/population_by_age.xls",
    output:
        csv="data/processed/indicators_departement.csv",
        national="data/processed/national_totals.csv",
        markdown="data/processed/indicators_departement.md",
    params:
        gaps=config["gaps"],
        editions=config["editions"],
        age_year=config["population_75_plus"]["year"],
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/indicators.log",
    script:
        "../scripts/step.py"
