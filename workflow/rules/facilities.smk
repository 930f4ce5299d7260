rule communes:
    input:
        population="data/raw/population.json",
        polygons="data/raw/communes",
        departements="data/raw/departements.geojson",
    output:
        communes="data/processed/communes.gpkg",
        rejects="data/processed/logs/rejects_population.csv",
        warnings="data/processed/logs/warnings_communes.csv",
    params:
        territory=as_json(TERRITORIES.codes),
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/communes.log",
    shell:
        "python -m coverage communes --population {input.population:q} --polygons {input.polygons:q}"
        " --departements {input.departements:q} --territory {params.territory:q} --out {output.communes:q}"
        " --rejects {output.rejects:q} --warnings {output.warnings:q} 2>&1 | tee {log:q}"


rule facilities:
    input:
        sae="data/raw/sae",
        finess="data/raw/finess.csv",
        communes="data/processed/communes.gpkg",
        departements="data/raw/departements.geojson",
        own=[entry["path"] for entry in OWN_SITES],
    output:
        csv="data/processed/facilities.csv",
        gpkg="data/processed/facilities.gpkg",
        unlisted="data/processed/logs/unlisted_services.csv",
        rejects="data/processed/logs/rejects_facilities.csv",
        warnings="data/processed/logs/warnings_facilities.csv",
    params:
        msp_category=config["facilities"]["msp_category"],
        tolerance_km=config["facilities"]["departement_tolerance_km"],
        own_sites=as_json(OWN_SITES),
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/facilities.log",
    shell:
        "python -m coverage facilities --sae {input.sae:q} --finess {input.finess:q} --communes-path {input.communes:q}"
        " --departements {input.departements:q} --msp-category {params.msp_category:q}"
        " --tolerance-km {params.tolerance_km} --own-sites {params.own_sites:q} --out-csv {output.csv:q}"
        " --out-gpkg {output.gpkg:q} --out-unlisted {output.unlisted:q}"
        " --rejects {output.rejects:q} --warnings {output.warnings:q} 2>&1 | tee {log:q}"


rule logs:
    input:
        rejects=[
            rules.communes.output.rejects,
            rules.facilities.output.rejects,
            *expand(f"{EDITION_FOLDER}/logs/rejects_facilities.csv", edition=EARLIER_EDITIONS),
        ],
        warnings=[
            rules.communes.output.warnings,
            rules.facilities.output.warnings,
            *expand(f"{EDITION_FOLDER}/logs/warnings_facilities.csv", edition=EARLIER_EDITIONS),
            *expand("data/processed/logs/warnings_{step}_{departement}.csv", step=["network", "access"],
                    departement=DEPARTEMENTS),
        ],
    output:
        rejects="data/processed/rejects.csv",
        warnings="data/processed/warnings.csv",
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/logs.log",
    shell:
        "(python -m coverage merge-logs --parts {input.rejects:q} --out {output.rejects:q} --kind rejects"
        " && python -m coverage merge-logs --parts {input.warnings:q} --out {output.warnings:q} --kind warnings) 2>&1 | tee {log:q}"
