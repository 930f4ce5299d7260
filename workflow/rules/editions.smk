# Change between SAE editions: each edition's facilities (national files only) and indicators, then the
# change of each indicator from every earlier edition to the run's.
CHANGE_OUTPUTS = (
    ["data/processed/change_departement.csv", "data/processed/change_national.csv", "data/processed/change.md"]
    if COMPARED_EDITIONS
    else []
)


# An earlier edition's tables feed only the change between editions, read by the maps and reports at the end: the
# drive-time jobs go first.
use rule facilities as edition_facilities with:
    priority: -1
    input:
        sae=lambda wildcards: sae_copy(wildcards.edition),
        finess="data/raw/finess.csv",
        register=FINESS_REGISTER,
        communes="data/processed/communes.gpkg",
        departements="data/raw/departements.geojson",
    output:
        csv=f"{EDITION_FOLDER}/facilities.csv",
        gpkg=f"{EDITION_FOLDER}/facilities.gpkg",
        unlisted=f"{EDITION_FOLDER}/logs/unlisted_services.csv",
        rejects=f"{EDITION_FOLDER}/logs/rejects_facilities.csv",
        warnings=f"{EDITION_FOLDER}/logs/warnings_facilities.csv",
    wildcard_constraints:
        edition="|".join(re.escape(key) for key in SAE_EDITIONS),
    params:
        msp_category=config["facilities"]["msp_category"],
        tolerance_km=config["facilities"]["departement_tolerance_km"],
        own_sites=[],
    log:
        "logs/edition_facilities_{edition}.log",


use rule indicators as edition_indicators with:
    priority: -1
    input:
        facilities=f"{EDITION_FOLDER}/facilities.csv",
        unlisted=f"{EDITION_FOLDER}/logs/unlisted_services.csv",
        communes=rules.communes.output.communes,
        departements="data/raw/departements.geojson",
        population_by_age="data/raw/population_by_age.xls",
        deaths="data/raw/deaths.csv",
        cancer_deaths="data/raw/cancer_deaths.csv",
    output:
        csv=f"{EDITION_FOLDER}/indicators_departement.csv",
        national=f"{EDITION_FOLDER}/national_totals.csv",
        markdown=f"{EDITION_FOLDER}/indicators_departement.md",
        warnings=f"{EDITION_FOLDER}/logs/warnings_indicators.csv",
    wildcard_constraints:
        edition="|".join(re.escape(key) for key in SAE_EDITIONS),
    log:
        "logs/edition_indicators_{edition}.log",


rule changes:
    input:
        edition_indicators=expand(f"{EDITION_FOLDER}/indicators_departement.csv", edition=SAE_EDITIONS),
    output:
        by_departement="data/processed/change_departement.csv",
        national="data/processed/change_national.csv",
        markdown="data/processed/change.md",
    params:
        indicators=config["changes"]["indicators"],
        shown=config["changes"]["maps"],
    threads: other_resource("threads")
    resources:
        mem_mb=other_resource("mem_mb"),
        runtime=other_resource("runtime"),
    conda:
        "../envs/coverage.yaml"
    log:
        "logs/changes.log",
    script:
        "../scripts/step.py"
