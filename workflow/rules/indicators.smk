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
        gaps=as_json(config["gaps"]),
        editions=as_json(config["editions"]),
        age_year=config["population_75_plus"]["year"],
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/indicators.log",
    shell:
        "python -m coverage indicators --facilities-csv {input.facilities:q} --unlisted-csv {input.unlisted:q}"
        " --communes-path {input.communes:q}"
        " --departements {input.departements:q} --population-by-age {input.population_by_age:q}"
        " --age-year {params.age_year} --gaps {params.gaps:q} --editions {params.editions:q}"
        " --out-csv {output.csv:q} --out-national {output.national:q} --out-markdown {output.markdown:q}"
        " 2>&1 | tee {log:q}"
