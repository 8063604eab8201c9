//! The département map drawn from real published figures: the ASE rate per 1 000
//! under-21s of the DREES and INSEE fixtures (pipelines/contexte-territorial.toml).

use std::collections::BTreeMap;

use observatoire::pipeline::Pipeline;
use observatoire::publish::map::{MapSpec, MapUnit, MapValue, choropleth};
use observatoire::territory::{self, Level};
use quick_xml::events::Event;

use crate::util::*;

#[test]
fn ase_rate_map_from_drees_and_insee_fills_every_department() {
    if fixture("drees-beneficiaires-aide-sociale-departementale-2020.xlsx").is_none()
        || fixture("insee-estimations-population-departement-sexe-age-1975-2022.xlsx").is_none()
    {
        return;
    }
    let p = Pipeline::load(&repo().join("pipelines/contexte-territorial.toml")).unwrap();
    let out = temp_dir("map").join("sortie");
    observatoire::run::run(&p, &out).unwrap();
    let f = std::fs::File::open(out.join("indicateurs.parquet")).unwrap();
    use polars::prelude::SerReader;
    let df = polars::prelude::ParquetReader::new(f).finish().unwrap();
    let (ind, code, val, status) = (
        strings(&df, "indicateur"),
        strings(&df, "code_territoire"),
        floats(&df, "valeur"),
        strings(&df, "statut"),
    );
    let values: Vec<MapValue> = (0..df.height())
        .filter(|&i| {
            ind[i].as_deref() == Some("enfants_accueillis_ase_pour_1000_moins_21_ans")
                && code[i].is_some()
        })
        .map(|i| MapValue {
            code: code[i].clone().unwrap(),
            value: val[i],
            secret: status[i].as_deref() != Some("V"),
        })
        .collect();
    let spec = MapSpec {
        legend_title: "pour 1 000 jeunes de moins de 21 ans".into(),
        note: "Source : DREES, enquête Aide sociale 2020 ; INSEE, estimations de population au 1er janvier 2021.".into(),
        ..MapSpec::new(
            "Enfants accueillis à l'ASE au 31/12/2020",
            MapUnit::PerThousand,
        )
    };
    let svg = choropleth(&values, &spec).unwrap();
    let _ = std::fs::write(repo().join("target/carte-ase-2020.svg"), &svg);

    // Every département of the table is drawn with a fill: a class colour, the hatch or
    // « non disponible ».
    let fills = path_fills(&svg);
    let table: Vec<&str> = territory::all()
        .iter()
        .filter(|t| t.level == Level::Department)
        .map(|t| t.code)
        .collect();
    assert_eq!(table.len(), 101);
    let legend = legend_swatches(&svg);
    for code in &table {
        let fill = fills.get(*code).unwrap_or_else(|| panic!("{code} absent"));
        assert!(legend.contains(fill), "{code}: {fill} not in the legend");
    }
    assert_eq!(fills.len(), 101);
    let no_data = legend_fill(&svg, "non disponible");
    let valued = table
        .iter()
        .filter(|c| Some(&fills[**c]) != no_data.as_ref())
        .count();
    assert!(valued >= 90, "{valued} départements with a value");
    // Corsica (DREES 20) colours both départements; Mayotte is not in the DREES file.
    assert_eq!(fills["2A"], fills["2B"]);
    assert_eq!(Some(&fills["976"]), no_data.as_ref());
    assert!(svg.contains("<title>Ain (01) : 9,20\u{a0}‰</title>"));
    // 95 metropolitan values (Corsica once, as 20) and 4 DROM.
    assert!(svg.contains("Classes : quantiles des 99 valeurs publiées."));
}

/// The fill of each département path (the first drawing of a code: the national map or
/// its DROM inset), after checking the document is well-formed XML.
fn path_fills(svg: &str) -> BTreeMap<String, String> {
    let mut reader = quick_xml::Reader::from_str(svg);
    let mut fills = BTreeMap::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "path" => {
                let attr = |name: &str| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == name)
                        .map(|a| a.value.to_string())
                };
                if let (Some(code), Some(fill)) = (attr("data-code"), attr("fill")) {
                    fills.entry(code).or_insert(fill);
                }
            }
            _ => {}
        }
    }
    fills
}

/// Fills of the legend swatches (22 × 14 rectangles).
fn legend_swatches(svg: &str) -> Vec<String> {
    svg.lines()
        .filter(|l| l.starts_with("<rect") && l.contains("width=\"22\""))
        .filter_map(|l| l.split("fill=\"").nth(1)?.split('"').next())
        .map(str::to_string)
        .collect()
}

/// Fill of the swatch whose label follows it.
fn legend_fill(svg: &str, label: &str) -> Option<String> {
    let lines: Vec<&str> = svg.lines().collect();
    lines.windows(2).find_map(|w| {
        (w[1].ends_with(&format!(">{label}</text>")))
            .then(|| {
                w[0].split("fill=\"")
                    .nth(1)?
                    .split('"')
                    .next()
                    .map(str::to_string)
            })
            .flatten()
    })
}
