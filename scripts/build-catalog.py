#!/usr/bin/env python3
"""Regenerate Sustain's bundled site and CPU catalogs: data/sites.csv and data/cpus.csv.

The generated CSV files are committed; this script exists only to regenerate them
when an input changes. It uses the Python 3.11 standard library only.

Inputs
------
1. An unpacked CodeCarbon 3.3.2 wheel (MIT licence, https://github.com/mlco2/codecarbon).
   The script reads, under ``<codecarbon>/data/``:
     private_infra/global_energy_mix.json             countries (Ember via Our World in Data)
     private_infra/2023/usa_emissions.json            US states (EPA eGRID2023, lb/MWh)
     private_infra/2023/china_provincial_emissions.json  Chinese provinces (MEE/NBS 2023)
     private_infra/2023/canada_energy_mix.json        Canadian provinces (generation mix, %)
     private_infra/carbon_intensity_per_source.json   per-source factors (for Canada)
     private_infra/nordic_emissions.json              Nordic bidding zones (2025)
     cloud/impact.csv                                 Google Cloud regions (2023)
     hardware/cpu_power.csv                           CPU TDPs (Name,TDP)
2. ``data/site-defaults.csv`` (hand-curated, in this repository): PUE, WUE, off-site water
   and electricity price defaults, each with its source. Columns:
   ``target,field,value,unit,year,source``. ``target`` is an exact site id (``US-CA``),
   ``provider:<gcp|aws|azure>`` or ``kind:grid`` (every row that is not a cloud region).
   More specific targets win: exact id > provider > kind:grid.
3. Constants in this file: the WORLD row (Ember) and the AWS and Azure per-region grid
   factors transcribed from Cloud Carbon Footprint (Apache-2.0), each with its source.

How to run
----------
    pip download --no-deps codecarbon==3.3.2 -d /tmp/cc
    cd /tmp/cc && unzip -q codecarbon-3.3.2-py3-none-any.whl
    cd <repo> && python3 scripts/build-catalog.py /tmp/cc/codecarbon

The argument is the unpacked ``codecarbon`` package directory (the one holding ``data/``);
the directory that contains it is accepted too. Options: ``--out-dir`` (default: the
repository's ``data/``), ``--defaults`` (default: ``data/site-defaults.csv``),
``--check-only`` (validate the existing CSVs without writing).

Conversions and choices (documented in data/SOURCES.md and docs/reference/sites.md)
----------------------------------------------------------------------------------
* US states: lb/MWh x 453.59237 / 1000 = g/kWh.
* Canadian provinces: intensity = sum(share_i x factor_i) / total, with factor_i from
  carbon_intensity_per_source.json (naturalGas -> natural_gas, hydro -> hydroelectricity;
  "tidal" and "other" have no factor and count as 0). CodeCarbon's own runtime counts only
  coal, petroleum and natural gas for Canada, so its figures are lower than ours.
* Nordic bidding zones get ids ``<country>-<zone>`` (``SE-SE1``, ``NO-NO4``, ``FI-FI``) so
  that they never clash with a country code such as ``FI``.
* The GCP region ``me-cenrtal1`` (typo in CodeCarbon 3.3.2) is written as ``me-central1``;
  ``asia-east2`` (Hong Kong) gets country HK although CodeCarbon lists CHN.
* renewable_share: Ember renewables_TWh / total_TWh for countries; the renewable share of
  the generation mix for Canadian provinces; empty elsewhere.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from pathlib import Path

CODECARBON_VERSION = "3.3.2"
CC = f"CodeCarbon {CODECARBON_VERSION} (MIT)"
LB_TO_G = 453.59237

SITES_HEADER = [
    "id", "name", "kind", "country_iso2", "provider", "intensity_g_per_kwh", "year",
    "source", "renewable_share", "pue", "pue_source", "wue_l_per_kwh", "wue_source",
    "offsite_water_l_per_kwh", "offsite_water_source", "price_per_kwh", "currency",
    "price_source",
]
CPUS_HEADER = ["model", "tdp_w", "source"]
KINDS = {"world", "country", "us-state", "cn-province", "ca-province", "grid-zone", "cloud"}
PROVIDERS = {"gcp", "aws", "azure"}

# ISO 3166-1 alpha-3 -> alpha-2 for every code present in CodeCarbon's global_energy_mix.json
# (table generated once with pycountry, i.e. the ISO 3166-1 list; an unknown code stops the run).
ISO3_TO_ISO2 = {
    "ABW": "AW", "AFG": "AF", "AGO": "AO", "ALB": "AL", "ARE": "AE", "ARG": "AR", "ARM": "AM",
    "ASM": "AS", "ATG": "AG", "AUS": "AU", "AUT": "AT", "AZE": "AZ", "BDI": "BI", "BEL": "BE",
    "BEN": "BJ", "BFA": "BF", "BGD": "BD", "BGR": "BG", "BHR": "BH", "BHS": "BS", "BIH": "BA",
    "BLR": "BY", "BLZ": "BZ", "BMU": "BM", "BOL": "BO", "BRA": "BR", "BRB": "BB", "BRN": "BN",
    "BTN": "BT", "BWA": "BW", "CAF": "CF", "CAN": "CA", "CHE": "CH", "CHL": "CL", "CHN": "CN",
    "CIV": "CI", "CMR": "CM", "COD": "CD", "COG": "CG", "COK": "CK", "COL": "CO", "COM": "KM",
    "CPV": "CV", "CRI": "CR", "CUB": "CU", "CYM": "KY", "CYP": "CY", "CZE": "CZ", "DEU": "DE",
    "DJI": "DJ", "DMA": "DM", "DNK": "DK", "DOM": "DO", "DZA": "DZ", "ECU": "EC", "EGY": "EG",
    "ERI": "ER", "ESH": "EH", "ESP": "ES", "EST": "EE", "ETH": "ET", "FIN": "FI", "FJI": "FJ",
    "FLK": "FK", "FRA": "FR", "FRO": "FO", "GAB": "GA", "GBR": "GB", "GEO": "GE", "GHA": "GH",
    "GIB": "GI", "GIN": "GN", "GLP": "GP", "GMB": "GM", "GNB": "GW", "GNQ": "GQ", "GRC": "GR",
    "GRD": "GD", "GRL": "GL", "GTM": "GT", "GUF": "GF", "GUM": "GU", "GUY": "GY", "HKG": "HK",
    "HND": "HN", "HRV": "HR", "HTI": "HT", "HUN": "HU", "IDN": "ID", "IND": "IN", "IRL": "IE",
    "IRN": "IR", "IRQ": "IQ", "ISL": "IS", "ISR": "IL", "ITA": "IT", "JAM": "JM", "JOR": "JO",
    "JPN": "JP", "KAZ": "KZ", "KEN": "KE", "KGZ": "KG", "KHM": "KH", "KIR": "KI", "KNA": "KN",
    "KOR": "KR", "KWT": "KW", "LAO": "LA", "LBN": "LB", "LBR": "LR", "LBY": "LY", "LCA": "LC",
    "LKA": "LK", "LSO": "LS", "LTU": "LT", "LUX": "LU", "LVA": "LV", "MAC": "MO", "MAR": "MA",
    "MDA": "MD", "MDG": "MG", "MDV": "MV", "MEX": "MX", "MKD": "MK", "MLI": "ML", "MLT": "MT",
    "MMR": "MM", "MNE": "ME", "MNG": "MN", "MOZ": "MZ", "MRT": "MR", "MSR": "MS", "MTQ": "MQ",
    "MUS": "MU", "MWI": "MW", "MYS": "MY", "NAM": "NA", "NCL": "NC", "NER": "NE", "NGA": "NG",
    "NIC": "NI", "NLD": "NL", "NOR": "NO", "NPL": "NP", "NRU": "NR", "NZL": "NZ", "OMN": "OM",
    "PAK": "PK", "PAN": "PA", "PER": "PE", "PHL": "PH", "PNG": "PG", "POL": "PL", "PRI": "PR",
    "PRK": "KP", "PRT": "PT", "PRY": "PY", "PSE": "PS", "PYF": "PF", "QAT": "QA", "REU": "RE",
    "ROU": "RO", "RUS": "RU", "RWA": "RW", "SAU": "SA", "SDN": "SD", "SEN": "SN", "SGP": "SG",
    "SHN": "SH", "SLB": "SB", "SLE": "SL", "SLV": "SV", "SOM": "SO", "SPM": "PM", "SRB": "RS",
    "SSD": "SS", "STP": "ST", "SUR": "SR", "SVK": "SK", "SVN": "SI", "SWE": "SE", "SWZ": "SZ",
    "SYC": "SC", "SYR": "SY", "TCA": "TC", "TCD": "TD", "TGO": "TG", "THA": "TH", "TJK": "TJ",
    "TKM": "TM", "TLS": "TL", "TON": "TO", "TTO": "TT", "TUN": "TN", "TUR": "TR", "TWN": "TW",
    "TZA": "TZ", "UGA": "UG", "UKR": "UA", "URY": "UY", "USA": "US", "UZB": "UZ", "VCT": "VC",
    "VEN": "VE", "VGB": "VG", "VIR": "VI", "VNM": "VN", "VUT": "VU", "WSM": "WS", "YEM": "YE",
    "ZAF": "ZA", "ZMB": "ZM", "ZWE": "ZW",
}

CA_PROVINCES = {
    "alberta": ("AB", "Alberta"),
    "british columbia": ("BC", "British Columbia"),
    "manitoba": ("MB", "Manitoba"),
    "new brunswick": ("NB", "New Brunswick"),
    "newfoundland and labrador": ("NL", "Newfoundland and Labrador"),
    "northwest territories": ("NT", "Northwest Territories"),
    "nova scotia": ("NS", "Nova Scotia"),
    "nunavut": ("NU", "Nunavut"),
    "ontario": ("ON", "Ontario"),
    "prince edward island": ("PE", "Prince Edward Island"),
    "quebec": ("QC", "Quebec"),
    "saskatchewan": ("SK", "Saskatchewan"),
    "yukon": ("YT", "Yukon"),
}
# canada_energy_mix.json key -> carbon_intensity_per_source.json key (None: no factor, counts 0)
CA_SOURCE_FACTOR = {
    "coal": "coal", "petroleum": "petroleum", "naturalGas": "natural_gas", "biomass": "biomass",
    "hydro": "hydroelectricity", "nuclear": "nuclear", "solar": "solar", "wind": "wind",
    "tidal": None, "other": None,
}
CA_RENEWABLE = ("hydro", "wind", "solar", "biomass", "tidal")

# --- WORLD row (not in CodeCarbon) ---------------------------------------------------------
WORLD = {
    "intensity": 481, "year": 2023, "renewable_share": 0.30,
    "source": (
        "Ember yearly electricity data: world average life-cycle emissions intensity of "
        "electricity generation 481 gCO2e/kWh in 2023 (Ember, July 2024, as charted by Statista, "
        "statistic 943137); renewable share 30% of global electricity in 2023 (Ember Global "
        "Electricity Review 2024)"
    ),
}

# --- AWS and Azure grid factors: Cloud Carbon Footprint (Apache-2.0) -----------------------
# Transcribed from cloud-carbon-footprint/cloud-carbon-footprint,
# microsite/docs/HowItWorks/Methodology.md @ 651dfe2b38bbe0d41fad08fcc6034ff1aef57ef9,
# "Appendix V: Grid emissions factors" (metric tons CO2e per kWh; stored here as g/kWh).
CCF = ("Cloud Carbon Footprint methodology, Appendix V grid emissions factors (Apache-2.0; "
       "microsite/docs/HowItWorks/Methodology.md @651dfe2b)")
UP_EPA = "EPA eGRID NERC region {} rate (https://www.epa.gov/egrid/download-data; eGRID edition not stated by CCF)"
UP_CFP = ("carbonfootprint.com international electricity factors for 2021 electricity "
          "(https://www.carbonfootprint.com/docs/2022_03_emissions_factors_sources_for_2021_electricity_v11.pdf)")
UP_EEA = ("EEA CO2 emission intensity of electricity generation "
          "(https://www.eea.europa.eu/data-and-maps/daviz/co2-emission-intensity-9; data year not stated by CCF)")
NERC_T_PER_KWH = {"SERC": 0.000379069, "RFC": 0.000410608, "WECC": 0.000322167,
                  "MRO": 0.000426254, "TRE": 0.000373231}

# (region, display name, country, metric t/kWh or NERC region, upstream kind)
AWS_REGIONS = [
    ("us-east-1", "US East (N. Virginia)", "US", "SERC", "epa"),
    ("us-east-2", "US East (Ohio)", "US", "RFC", "epa"),
    ("us-west-1", "US West (N. California)", "US", "WECC", "epa"),
    ("us-west-2", "US West (Oregon)", "US", "WECC", "epa"),
    ("us-gov-east-1", "AWS GovCloud (US-East)", "US", "SERC", "epa"),
    ("us-gov-west-1", "AWS GovCloud (US-West)", "US", "WECC", "epa"),
    ("af-south-1", "Africa (Cape Town)", "ZA", 0.0009006, "cfp"),
    ("ap-east-1", "Asia Pacific (Hong Kong)", "HK", 0.00071, "cfp"),
    ("ap-south-1", "Asia Pacific (Mumbai)", "IN", 0.0007082, "cfp"),
    ("ap-northeast-3", "Asia Pacific (Osaka)", "JP", 0.0004658, "cfp"),
    ("ap-northeast-2", "Asia Pacific (Seoul)", "KR", 0.0004156, "cfp"),
    ("ap-southeast-1", "Asia Pacific (Singapore)", "SG", 0.000408, "cfp"),
    ("ap-southeast-2", "Asia Pacific (Sydney)", "AU", 0.00076, "cfp"),
    ("ap-northeast-1", "Asia Pacific (Tokyo)", "JP", 0.0004658, "cfp"),
    ("ca-central-1", "Canada (Central)", "CA", 0.00012, "cfp"),
    ("cn-north-1", "China (Beijing)", "CN", 0.0005374, "cfp"),
    ("cn-northwest-1", "China (Ningxia)", "CN", 0.0005374, "cfp"),
    ("eu-central-1", "Europe (Frankfurt)", "DE", 0.000311, "eea"),
    ("eu-west-1", "Europe (Ireland)", "IE", 0.0002786, "eea"),
    ("eu-west-2", "Europe (London)", "GB", 0.000225, "eea"),
    ("eu-south-1", "Europe (Milan)", "IT", 0.0002134, "eea"),
    ("eu-west-3", "Europe (Paris)", "FR", 0.0000511, "eea"),
    ("eu-north-1", "Europe (Stockholm)", "SE", 0.0000088, "eea"),
    ("me-south-1", "Middle East (Bahrain)", "BH", 0.0005059, "cfp"),
    ("sa-east-1", "South America (Sao Paulo)", "BR", 0.0000617, "cfp"),
]
# CCF lists a few Azure "geographies" (e.g. "Japan", "Korea") and unreleased or staging names;
# only real region names are kept. The programmatic name is used in the id.
AZURE_REGIONS = [
    ("centralus", "Central US (Iowa)", "US", "MRO", "epa"),
    ("eastus", "East US (Virginia)", "US", "SERC", "epa"),
    ("eastus2", "East US 2 (Virginia)", "US", "SERC", "epa"),
    ("northcentralus", "North Central US (Illinois)", "US", "RFC", "epa"),
    ("southcentralus", "South Central US (Texas)", "US", "TRE", "epa"),
    ("westcentralus", "West Central US (Wyoming)", "US", "WECC", "epa"),
    ("westus", "West US (California)", "US", "WECC", "epa"),
    ("westus2", "West US 2 (Washington)", "US", "WECC", "epa"),
    ("westus3", "West US 3 (Arizona)", "US", "WECC", "epa"),
    ("eastasia", "East Asia (Hong Kong)", "HK", 0.00071, "cfp"),
    ("southeastasia", "Southeast Asia (Singapore)", "SG", 0.000408, "cfp"),
    ("southafricanorth", "South Africa North (Johannesburg)", "ZA", 0.0009006, "cfp"),
    ("southafricawest", "South Africa West", "ZA", 0.0009006, "cfp"),
    ("australiacentral", "Australia Central (Canberra)", "AU", 0.00079, "cfp"),
    ("australiacentral2", "Australia Central 2 (Canberra)", "AU", 0.00079, "cfp"),
    ("australiaeast", "Australia East (New South Wales)", "AU", 0.00079, "cfp"),
    ("australiasoutheast", "Australia Southeast (Victoria)", "AU", 0.00096, "cfp"),
    ("japaneast", "Japan East (Tokyo, Saitama)", "JP", 0.0004658, "cfp"),
    ("japanwest", "Japan West (Osaka)", "JP", 0.0004658, "cfp"),
    ("koreasouth", "Korea South", "KR", 0.0004156, "cfp"),
    ("centralindia", "Central India (Pune)", "IN", 0.0007082, "cfp"),
    ("southindia", "South India (Chennai)", "IN", 0.0007082, "cfp"),
    ("westindia", "West India (Mumbai)", "IN", 0.0007082, "cfp"),
    ("jioindiacentral", "Jio India Central", "IN", 0.0007082, "cfp"),
    ("jioindiawest", "Jio India West", "IN", 0.0007082, "cfp"),
    ("northeurope", "North Europe (Ireland)", "IE", 0.0002786, "eea"),
    ("westeurope", "West Europe (Netherlands)", "NL", 0.0003284, "eea"),
    ("francecentral", "France Central (Paris)", "FR", 0.00005128, "cfp"),
    ("francesouth", "France South", "FR", 0.00005128, "cfp"),
    ("swedencentral", "Sweden Central (Gavle and Sandviken)", "SE", 0.00000567, "cfp"),
    ("switzerlandnorth", "Switzerland North (Zurich)", "CH", 0.00000567, "cfp"),
    ("switzerlandwest", "Switzerland West", "CH", 0.00000567, "cfp"),
    ("uksouth", "UK South (London)", "GB", 0.000225, "eea"),
    ("ukwest", "UK West (Cardiff)", "GB", 0.000228, "eea"),
    ("germanynorth", "Germany North", "DE", 0.00033866, "cfp"),
    ("germanywestcentral", "Germany West Central (Frankfurt)", "DE", 0.00033866, "cfp"),
    ("norwayeast", "Norway East (Oslo)", "NO", 0.00000762, "cfp"),
    ("norwaywest", "Norway West", "NO", 0.00000762, "cfp"),
    ("uaenorth", "UAE North (Dubai)", "AE", 0.0004041, "cfp"),
    ("uaecentral", "UAE Central", "AE", 0.0004041, "cfp"),
    ("canadacentral", "Canada Central (Toronto)", "CA", 0.00012, "cfp"),
    ("canadaeast", "Canada East (Quebec City)", "CA", 0.00012, "cfp"),
    ("brazilsouth", "Brazil South (Sao Paulo State)", "BR", 0.0000617, "cfp"),
    ("brazilsoutheast", "Brazil Southeast", "BR", 0.0000617, "cfp"),
]

# --- helpers -------------------------------------------------------------------------------


def fmt(x: float | int | None, nd: int = 3) -> str:
    """Plain decimal, rounded to nd places, no exponent, no trailing zeros."""
    if x is None:
        return ""
    if isinstance(x, float) and not math.isfinite(x):
        raise ValueError(f"non-finite number {x}")
    s = f"{round(float(x), nd):.{nd}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def load_json(path: Path):
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def resolve_package_dir(arg: str) -> Path:
    p = Path(arg).expanduser().resolve()
    for cand in (p, p / "codecarbon"):
        if (cand / "data" / "private_infra" / "global_energy_mix.json").is_file():
            return cand
    sys.exit(f"error: {arg} is not an unpacked codecarbon package (no data/private_infra/"
             "global_energy_mix.json under it or under its codecarbon/ folder)")


def check_version(pkg: Path) -> None:
    for meta in pkg.parent.glob("codecarbon-*.dist-info/METADATA"):
        for line in meta.read_text(encoding="utf-8").splitlines():
            if line.startswith("Version:"):
                v = line.split(":", 1)[1].strip()
                if v != CODECARBON_VERSION:
                    print(f"warning: codecarbon {v} found, sources say {CODECARBON_VERSION}; "
                          "update CODECARBON_VERSION and the docs", file=sys.stderr)
                return


def empty_site(**kw) -> dict:
    row = {k: "" for k in SITES_HEADER}
    row.update({k: v for k, v in kw.items() if v is not None})
    return row


# --- builders ------------------------------------------------------------------------------


def build_world() -> list[dict]:
    return [empty_site(id="WORLD", name="World", kind="world",
                       intensity_g_per_kwh=fmt(WORLD["intensity"]), year=str(WORLD["year"]),
                       renewable_share=fmt(WORLD["renewable_share"], 4), source=WORLD["source"])]


def build_countries(data: Path) -> list[dict]:
    mix = load_json(data / "private_infra" / "global_energy_mix.json")
    rows = []
    for iso3, e in sorted(mix.items()):
        if iso3 not in ISO3_TO_ISO2:
            sys.exit(f"error: no ISO 3166-1 alpha-2 code for {iso3} ({e.get('country_name')}); "
                     "add it to ISO3_TO_ISO2")
        iso2 = ISO3_TO_ISO2[iso3]
        ci = e.get("carbon_intensity")
        if ci is None:
            print(f"warning: {iso3} has no carbon_intensity; skipped", file=sys.stderr)
            continue
        total, ren = e.get("total_TWh"), e.get("renewables_TWh")
        share = ren / total if total and ren is not None and total > 0 else None
        year = e.get("year")
        rows.append(empty_site(
            id=iso2, name=e["country_name"], kind="country", country_iso2=iso2,
            intensity_g_per_kwh=fmt(ci), year=str(year),
            renewable_share=fmt(min(share, 1.0), 4) if share is not None else "",
            source=(f"Ember yearly electricity data via Our World in Data, life-cycle gCO2e/kWh, "
                    f"{year}; renewable share = renewables_TWh/total_TWh; {CC} "
                    "data/private_infra/global_energy_mix.json"),
        ))
    return rows


def build_us_states(data: Path) -> list[dict]:
    us = load_json(data / "private_infra" / "2023" / "usa_emissions.json")
    meta = us.get("_source", {})
    year = meta.get("year", 2023)
    rows = []
    for key, e in sorted(us.items()):
        if key.startswith("_") or key == "usa":
            continue  # metadata; 'usa' is the national eGRID rate (the US row uses Ember)
        code = e["regionCode"].upper()
        name = " ".join(w if w in ("of", "and") else w.capitalize() for w in key.split())
        g = e["emissions"] * LB_TO_G / 1000.0
        rows.append(empty_site(
            id=f"US-{code}", name=name, kind="us-state", country_iso2="US",
            intensity_g_per_kwh=fmt(g), year=str(year),
            source=(f"EPA eGRID{year} state annual CO2e total output emission rate "
                    f"({meta.get('field', 'STC2ERTA')}), lb/MWh x 453.59237/1000, {year}; "
                    f"{CC} data/private_infra/2023/usa_emissions.json"),
        ))
    return rows


def build_cn_provinces(data: Path) -> list[dict]:
    cn = load_json(data / "private_infra" / "2023" / "china_provincial_emissions.json")
    meta = cn.get("metadata", {})
    rows = []
    for pid, e in sorted(cn["data"].items()):
        year = e.get("year", meta.get("year"))
        rows.append(empty_site(
            id=pid.upper(), name=e["description"], kind="cn-province", country_iso2="CN",
            intensity_g_per_kwh=fmt(e["emission_factor"]), year=str(year),
            source=(f"China MEE/NBS Announcement {meta.get('announcement', '2025 No. 47')}: "
                    f"{year} provincial average electricity CO2 emission factor (CO2 only) "
                    f"({meta.get('source_url', '')}); {CC} "
                    "data/private_infra/2023/china_provincial_emissions.json"),
        ))
    return rows


def build_ca_provinces(data: Path) -> list[dict]:
    ca = load_json(data / "private_infra" / "2023" / "canada_energy_mix.json")
    factors = load_json(data / "private_infra" / "carbon_intensity_per_source.json")
    rows = []
    for key, mix in sorted(ca.items()):
        if key not in CA_PROVINCES:
            sys.exit(f"error: unknown Canadian province key {key!r}")
        code, name = CA_PROVINCES[key]
        total = float(mix["total"])
        g = 0.0
        for src, pct in mix.items():
            if src == "total":
                continue
            if src not in CA_SOURCE_FACTOR:
                sys.exit(f"error: unknown source {src!r} in canada_energy_mix.json ({key})")
            fk = CA_SOURCE_FACTOR[src]
            if fk is not None:
                g += float(pct) / total * float(factors[fk])
        ren = sum(float(mix.get(s, 0)) for s in CA_RENEWABLE) / total
        rows.append(empty_site(
            id=f"CA-{code}", name=name, kind="ca-province", country_iso2="CA",
            intensity_g_per_kwh=fmt(g), year="2023", renewable_share=fmt(min(ren, 1.0), 4),
            source=("Provincial generation mix (%) from "
                    f"{CC} data/private_infra/2023/canada_energy_mix.json (upstream source not "
                    "documented; year 2023 from the folder name) x per-source factors from "
                    "CodeCarbon carbon_intensity_per_source.json (coal 995, petroleum 816, natural "
                    "gas 743, biomass 230, hydro 26, nuclear 29, solar 48, wind 26 gCO2e/kWh; "
                    "tidal/other 0); computed by scripts/build-catalog.py"),
        ))
    return rows


def build_nordic(data: Path) -> list[dict]:
    nd = load_json(data / "private_infra" / "nordic_emissions.json")
    meta = nd.get("metadata", {})
    rows = []
    for zone, e in sorted(nd["data"].items()):
        country = zone[:2].upper()
        if country not in ("SE", "NO", "FI", "DK"):
            sys.exit(f"error: unexpected Nordic zone {zone!r}")
        extra = f"; coverage {e['coverage'].split(' ')[0]}" if e.get("coverage") else ""
        if zone.upper() == "FI":
            basis = "Finland value carried over unchanged from an earlier CodeCarbon release"
        else:
            basis = ("ENTSO-E Transparency actual generation per production type (A75), full year "
                     f"{e.get('year')}, x CodeCarbon per-source factors (production-based)")
        rows.append(empty_site(
            id=f"{country}-{zone.upper()}", name=e["description"], kind="grid-zone",
            country_iso2=country, intensity_g_per_kwh=fmt(e["emission_factor"]),
            year=str(e.get("year", "")),
            source=f"{basis}{extra}; {CC} data/private_infra/nordic_emissions.json",
        ))
    return rows


def build_gcp(data: Path) -> list[dict]:
    rows = []
    with (data / "cloud" / "impact.csv").open(encoding="utf-8-sig", newline="") as f:
        for r in csv.DictReader(f):
            if r["provider"].strip() != "gcp":
                continue
            region = r["region"].strip()
            if region == "me-cenrtal1":
                region = "me-central1"  # typo in CodeCarbon 3.3.2
            iso3 = r["countryIsoCode"].strip()
            iso2 = "HK" if r["city"].strip() == "Hong Kong" else ISO3_TO_ISO2[iso3]
            place = ", ".join(x for x in (r["city"].strip(), r["country_name"].strip()) if x)
            rows.append(empty_site(
                id=f"gcp:{region}", name=f"Google Cloud {region} ({place})", kind="cloud",
                country_iso2=iso2, provider="gcp", intensity_g_per_kwh=fmt(float(r["impact"])),
                year="2023",
                source=("Google Cloud region carbon data 2023, grid carbon intensity (location-based, "
                        "average operational gross emissions, gCO2eq/kWh) "
                        "(https://cloud.google.com/sustainability/region-carbon; "
                        "GoogleCloudPlatform/region-carbon-info data/yearly/2023.csv); "
                        f"{CC} data/cloud/impact.csv"),
            ))
    return rows


def build_ccf(provider: str, table: list, label: str) -> list[dict]:
    rows = []
    for region, name, iso2, val, up in table:
        if up == "epa":
            t = NERC_T_PER_KWH[val]
            upstream, year = UP_EPA.format(val), ""
        elif up == "cfp":
            t, upstream, year = val, UP_CFP, "2021"
        elif up == "eea":
            t, upstream, year = val, UP_EEA, ""
        else:
            raise ValueError(up)
        rows.append(empty_site(
            id=f"{provider}:{region}", name=f"{label} {name}", kind="cloud", country_iso2=iso2,
            provider=provider, intensity_g_per_kwh=fmt(t * 1e6), year=year,
            source=f"{CCF}: {upstream}",
        ))
    return rows


# --- defaults ------------------------------------------------------------------------------

FIELD_COLUMNS = {
    "pue": ("pue", "pue_source"),
    "wue_l_per_kwh": ("wue_l_per_kwh", "wue_source"),
    "offsite_water_l_per_kwh": ("offsite_water_l_per_kwh", "offsite_water_source"),
    "price_per_kwh": ("price_per_kwh", "price_source"),
}
UNITS = {  # unit -> (field, multiplier to the stored unit, currency)
    "ratio": ("pue", 1.0, None),
    "L/kWh": (None, 1.0, None),
    "USc/kWh": ("price_per_kwh", 0.01, "USD"),
    "USD/kWh": ("price_per_kwh", 1.0, "USD"),
    "EUR/kWh": ("price_per_kwh", 1.0, "EUR"),
    "GBP/kWh": ("price_per_kwh", 1.0, "GBP"),
}


def load_defaults(path: Path) -> list[dict]:
    out = []
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        want = ["target", "field", "value", "unit", "year", "source"]
        if reader.fieldnames != want:
            sys.exit(f"error: {path} header must be {','.join(want)}")
        for n, r in enumerate(reader, start=2):
            where = f"{path}:{n}"
            if r["field"] not in FIELD_COLUMNS:
                sys.exit(f"error: {where}: unknown field {r['field']!r}")
            if r["unit"] not in UNITS:
                sys.exit(f"error: {where}: unknown unit {r['unit']!r} (one of {', '.join(UNITS)})")
            ufield, mult, cur = UNITS[r["unit"]]
            if ufield and ufield != r["field"]:
                sys.exit(f"error: {where}: unit {r['unit']} does not fit field {r['field']}")
            if r["field"] == "price_per_kwh" and cur is None:
                sys.exit(f"error: {where}: a price needs a currency unit such as USD/kWh")
            if not r["source"].strip():
                sys.exit(f"error: {where}: empty source")
            try:
                value = float(r["value"]) * mult
            except ValueError:
                sys.exit(f"error: {where}: value {r['value']!r} is not a number")
            t = r["target"]
            if t.startswith("provider:"):
                rank = 1
            elif t.startswith("kind:"):
                rank = 0
            else:
                rank = 2
            out.append({"target": t, "field": r["field"], "value": value, "currency": cur,
                        "source": r["source"].strip(), "rank": rank, "where": where})
    return out


def matches(target: str, row: dict) -> bool:
    if target == "kind:grid":
        return row["kind"] != "cloud"
    if target.startswith("kind:"):
        return row["kind"] == target[5:]
    if target.startswith("provider:"):
        return row["provider"] == target[9:]
    return row["id"] == target


def apply_defaults(rows: list[dict], defaults: list[dict]) -> None:
    ids = {r["id"] for r in rows}
    for d in defaults:
        t = d["target"]
        if d["rank"] == 2 and t not in ids:
            sys.exit(f"error: {d['where']}: no site with id {t!r}")
    for d in sorted(defaults, key=lambda d: d["rank"]):  # specific targets applied last
        vcol, scol = FIELD_COLUMNS[d["field"]]
        nd = 4 if d["field"] in ("price_per_kwh", "offsite_water_l_per_kwh") else 3
        for row in rows:
            if matches(d["target"], row):
                row[vcol] = fmt(d["value"], nd if d["field"] != "price_per_kwh" else 5)
                row[scol] = d["source"]
                if d["field"] == "price_per_kwh":
                    row["currency"] = d["currency"]


# --- validation ----------------------------------------------------------------------------


def validate_sites(rows: list[dict]) -> list[str]:
    errs, seen = [], set()
    for r in rows:
        rid = r["id"]
        if rid.lower() in seen:  # Sustain looks ids up case-insensitively
            errs.append(f"duplicate id {rid} (ids are compared case-insensitively)")
        seen.add(rid.lower())
        if r["kind"] not in KINDS:
            errs.append(f"{rid}: bad kind {r['kind']!r}")
        if (r["kind"] == "cloud") != bool(r["provider"]):
            errs.append(f"{rid}: provider must be set exactly for cloud rows")
        if r["provider"] and r["provider"] not in PROVIDERS:
            errs.append(f"{rid}: bad provider {r['provider']!r}")
        if r["provider"] and not rid.startswith(r["provider"] + ":"):
            errs.append(f"{rid}: cloud id must start with '{r['provider']}:'")
        if r["kind"] != "world" and len(r["country_iso2"]) != 2:
            errs.append(f"{rid}: country_iso2 {r['country_iso2']!r}")
        for col in ("source", "pue_source", "wue_source"):
            if not r[col].strip():
                errs.append(f"{rid}: empty {col}")
        try:
            ci = float(r["intensity_g_per_kwh"])
            if not 0 <= ci <= 1500:
                errs.append(f"{rid}: intensity {ci} outside 0..1500")
        except ValueError:
            errs.append(f"{rid}: intensity {r['intensity_g_per_kwh']!r} not a number")
        try:
            if float(r["pue"]) < 1.0:
                errs.append(f"{rid}: pue < 1")
        except ValueError:
            errs.append(f"{rid}: pue {r['pue']!r} not a number")
        try:
            if float(r["wue_l_per_kwh"]) < 0:
                errs.append(f"{rid}: wue < 0")
        except ValueError:
            errs.append(f"{rid}: wue {r['wue_l_per_kwh']!r} not a number")
        if r["year"] and not (r["year"].isdigit() and 1990 <= int(r["year"]) <= 2100):
            errs.append(f"{rid}: year {r['year']!r}")
        if r["renewable_share"]:
            s = float(r["renewable_share"])
            if not 0 <= s <= 1:
                errs.append(f"{rid}: renewable_share {s}")
        for v, s in (("offsite_water_l_per_kwh", "offsite_water_source"),
                     ("price_per_kwh", "price_source")):
            if bool(r[v]) != bool(r[s]):
                errs.append(f"{rid}: {v} and {s} must be both set or both empty")
            if r[v] and float(r[v]) < 0:
                errs.append(f"{rid}: {v} < 0")
        if bool(r["price_per_kwh"]) != bool(r["currency"]):
            errs.append(f"{rid}: price_per_kwh and currency must be both set or both empty")
        for k, v in r.items():
            if k.endswith(("_kwh", "_share")) or k in ("pue", "year"):
                if "e" in v.lower() or "," in v:
                    errs.append(f"{rid}: {k} {v!r} is not a plain decimal")
    return errs


def validate_cpus(rows: list[dict]) -> list[str]:
    errs, seen = [], set()
    for r in rows:
        if r["model"] in seen:
            errs.append(f"duplicate cpu {r['model']}")
        seen.add(r["model"])
        try:
            if float(r["tdp_w"]) <= 0:
                errs.append(f"{r['model']}: tdp {r['tdp_w']}")
        except ValueError:
            errs.append(f"{r['model']}: tdp {r['tdp_w']!r}")
        if not r["source"]:
            errs.append(f"{r['model']}: empty source")
    return errs


# --- CPUs ----------------------------------------------------------------------------------


def build_cpus(data: Path) -> tuple[list[dict], dict]:
    stats = {"read": 0, "bad_tdp": 0, "duplicate": 0, "conflicting": 0}
    out: dict[str, dict] = {}
    src = f"{CC} data/hardware/cpu_power.csv (TDP from Intel/AMD spec pages as scraped by CodeCarbon)"
    with (data / "hardware" / "cpu_power.csv").open(encoding="utf-8-sig", newline="") as f:
        for r in csv.DictReader(f):
            stats["read"] += 1
            model = " ".join((r.get("Name") or "").split())
            try:
                tdp = float((r.get("TDP") or "").strip())
            except ValueError:
                tdp = float("nan")
            if not model or not math.isfinite(tdp) or tdp <= 0:
                stats["bad_tdp"] += 1
                continue
            if model in out:
                stats["duplicate"] += 1
                if float(out[model]["tdp_w"]) != tdp:
                    stats["conflicting"] += 1  # keep the first occurrence
                continue
            out[model] = {"model": model, "tdp_w": fmt(tdp, 2), "source": src}
    rows = sorted(out.values(), key=lambda r: r["model"].lower())
    return rows, stats


# --- main ----------------------------------------------------------------------------------


def write_csv(path: Path, header: list[str], rows: list[dict]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def read_csv(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(encoding="utf-8", newline="") as f:
        r = csv.DictReader(f)
        return list(r.fieldnames or []), list(r)


def main() -> int:
    repo = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("codecarbon", nargs="?", help="unpacked codecarbon package directory")
    ap.add_argument("--out-dir", default=str(repo / "data"))
    ap.add_argument("--defaults", default=str(repo / "data" / "site-defaults.csv"))
    ap.add_argument("--check-only", action="store_true",
                    help="validate the existing sites.csv and cpus.csv, write nothing")
    a = ap.parse_args()
    out = Path(a.out_dir)

    if a.check_only:
        h1, sites = read_csv(out / "sites.csv")
        h2, cpus = read_csv(out / "cpus.csv")
        errs = []
        if h1 != SITES_HEADER:
            errs.append("sites.csv header differs")
        if h2 != CPUS_HEADER:
            errs.append("cpus.csv header differs")
        errs += validate_sites(sites) + validate_cpus(cpus)
    else:
        if not a.codecarbon:
            ap.error("the unpacked codecarbon directory is required (or use --check-only)")
        pkg = resolve_package_dir(a.codecarbon)
        check_version(pkg)
        data = pkg / "data"
        sites = (build_world() + build_countries(data) + build_us_states(data)
                 + build_cn_provinces(data) + build_ca_provinces(data) + build_nordic(data)
                 + build_gcp(data) + build_ccf("aws", AWS_REGIONS, "AWS")
                 + build_ccf("azure", AZURE_REGIONS, "Azure"))
        apply_defaults(sites, load_defaults(Path(a.defaults)))
        cpus, stats = build_cpus(data)
        errs = validate_sites(sites) + validate_cpus(cpus)
        if not errs:
            out.mkdir(parents=True, exist_ok=True)
            write_csv(out / "sites.csv", SITES_HEADER, sites)
            write_csv(out / "cpus.csv", CPUS_HEADER, cpus)
            print(f"cpus: read {stats['read']}, dropped {stats['bad_tdp']} with missing or "
                  f"non-positive TDP, {stats['duplicate']} duplicates "
                  f"({stats['conflicting']} with a different TDP; first kept)")

    if errs:
        for e in errs:
            print(f"error: {e}", file=sys.stderr)
        return 1
    counts: dict[str, int] = {}
    for r in sites:
        key = r["kind"] + (f"/{r['provider']}" if r["provider"] else "")
        counts[key] = counts.get(key, 0) + 1
    print(f"sites: {len(sites)} rows; " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print(f"cpus: {len(cpus)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
