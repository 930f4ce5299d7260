rule indicators:
    input:
        facilities=rules.facilities.output.csv,
        unlisted=rules.facilities.output.unlisted,
        communes=rules.communes.output.communes,
        departements="data/raw/departements.geojson",
        population_by_age="data/raw/population_by_age.xls",
        deaths="data/raw/deaths.csv",
        cancer_deaths="data/raw/cancer_deaths.csv",
    output:
        csv="data/processed/indicators_departement.csv",
        national="data/processed/national_totals.csv",
        markdown="data/processed/indicators_departement.md",
        warnings="data/processed/logs/warnings_indicators.csv",
    params:
        need=config["need"],
        origins={name: config["sources"][name] for name in ("deaths", "cancer_deaths")},
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
