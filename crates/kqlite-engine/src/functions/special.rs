//! Special math and unit functions: `erf`, `erfc`, `loggamma`, the beta
//! distribution (`beta_pdf`, `beta_cdf`, `beta_inv`), `convert_*` unit
//! conversions, `format_bytes`, `around`, and the random sources `rand` and
//! `new_guid`.
//!
//! Random values are deterministic per query: the generator is seeded from
//! the query clock ([`EvalContext::now`]) and a per-process call counter, so
//! a query run in a fresh process repeats its values.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::math::real_map;
use super::{arg, arity, expect, numeric_like, rowwise, scalar_arg, Func};
use crate::column::{Column, ColumnData};
use crate::function::{ColumnarValue, EvalContext, FunctionError, FunctionProperties};
use crate::kernels;
use crate::kernels::access::{self, reals_of, rows_for};
use crate::types::DataType;
use crate::value::Value;

/// A `convert_*(value, from, to)` function over a unit table; unknown units
/// give null.
macro_rules! convert {
    ($name:literal, $table:expr) => {
        Func::plain(
            $name,
            |a| {
                arity(a, 3, 3)?;
                expect(a, 0, "a number", numeric_like)?;
                Ok(DataType::Real)
            },
            |a, r, _| Ok(convert_with($table, a, r)),
        )
    };
}

pub(super) fn functions() -> Vec<Func> {
    vec![
        Func::plain("erf", real_of_one, |a, r, _| Ok(real_map(a, r, libm::erf))),
        Func::plain("erfc", real_of_one, |a, r, _| {
            Ok(real_map(a, r, libm::erfc))
        }),
        Func::plain("loggamma", real_of_one, |a, r, _| {
            Ok(real_map(a, r, libm::lgamma))
        }),
        Func::plain("beta_pdf", real_of_three, |a, r, _| {
            Ok(real_map3(a, r, beta_pdf))
        }),
        Func::plain("beta_cdf", real_of_three, |a, r, _| {
            Ok(real_map3(a, r, beta_cdf))
        }),
        Func::plain("beta_inv", real_of_three, |a, r, _| {
            Ok(real_map3(a, r, beta_inv))
        }),
        convert!("convert_angle", ANGLE),
        convert!("convert_energy", ENERGY),
        convert!("convert_force", FORCE),
        convert!("convert_length", LENGTH),
        convert!("convert_mass", MASS),
        convert!("convert_speed", SPEED),
        convert!("convert_volume", VOLUME),
        Func::plain(
            "convert_temperature",
            |a| {
                arity(a, 3, 3)?;
                expect(a, 0, "a number", numeric_like)?;
                Ok(DataType::Real)
            },
            |a, r, _| Ok(convert_temperature(a, r)),
        ),
        Func::plain(
            "assert",
            |a| {
                arity(a, 2, 2)?;
                expect(a, 1, "a string", |t| t == DataType::String)?;
                Ok(DataType::Bool)
            },
            assert,
        ),
        Func::plain(
            "welch_test",
            |a| {
                arity(a, 6, 7)?;
                for i in 0..6 {
                    expect(a, i, "a number", numeric_like)?;
                }
                Ok(DataType::Real)
            },
            welch_test,
        ),
        Func::plain(
            "format_bytes",
            |a| {
                arity(a, 1, 3)?;
                expect(a, 0, "a number", numeric_like)?;
                Ok(DataType::String)
            },
            format_bytes,
        ),
        Func::plain("around", |a| arity(a, 3, 3).map(|_| DataType::Bool), around),
        Func {
            name: "rand",
            signature: |a| {
                arity(a, 0, 1)?;
                expect(a, 0, "a number", numeric_like)?;
                Ok(if a.is_empty() {
                    DataType::Real
                } else {
                    DataType::Long
                })
            },
            properties: FunctionProperties::VOLATILE,
            evaluate: rand,
        },
        Func {
            name: "new_guid",
            signature: |a| arity(a, 0, 0).map(|_| DataType::Guid),
            properties: FunctionProperties::VOLATILE,
            evaluate: new_guid,
        },
        Func::plain(
            "current_principal",
            |a| arity(a, 0, 0).map(|_| DataType::String),
            |_, _, _| {
                Ok(ColumnarValue::Scalar(
                    Value::string("aaduser=kqlite-local"),
                    DataType::String,
                ))
            },
        ),
        Func::plain(
            "current_cluster_endpoint",
            |a| arity(a, 0, 0).map(|_| DataType::String),
            |_, _, _| {
                Ok(ColumnarValue::Scalar(
                    Value::string("localhost"),
                    DataType::String,
                ))
            },
        ),
    ]
}

fn real_of_one(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 1, 1)?;
    expect(a, 0, "a number", numeric_like)?;
    Ok(DataType::Real)
}

fn real_of_three(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 3, 3)?;
    for i in 0..3 {
        expect(a, i, "a number", numeric_like)?;
    }
    Ok(DataType::Real)
}

fn real_map3(
    args: &[ColumnarValue],
    rows: usize,
    f: impl Fn(f64, f64, f64) -> Option<f64>,
) -> ColumnarValue {
    let x = kernels::cast(&arg(args, 0), DataType::Real, rows);
    let y = kernels::cast(&arg(args, 1), DataType::Real, rows);
    let z = kernels::cast(&arg(args, 2), DataType::Real, rows);
    let (n, scalar) = rows_for(&[&x, &y, &z], rows);
    match (reals_of(&x), reals_of(&y), reals_of(&z)) {
        (Some(a), Some(b), Some(c)) => {
            access::reals(n, scalar, |i| f(a.get(i)?, b.get(i)?, c.get(i)?))
        }
        _ => ColumnarValue::Scalar(Value::Null, DataType::Real),
    }
}

/// `ln(B(a, b))`.
fn ln_beta(a: f64, b: f64) -> f64 {
    libm::lgamma(a) + libm::lgamma(b) - libm::lgamma(a + b)
}

/// The beta density; NaN outside `0 <= x <= 1` or for non-positive shapes.
fn beta_pdf(x: f64, a: f64, b: f64) -> Option<f64> {
    if !(0.0..=1.0).contains(&x) || a <= 0.0 || b <= 0.0 {
        return Some(f64::NAN);
    }
    if x == 0.0 || x == 1.0 {
        let edge = if x == 0.0 { a } else { b };
        return Some(if edge < 1.0 {
            f64::INFINITY
        } else if edge == 1.0 {
            (-ln_beta(a, b)).exp()
        } else {
            0.0
        });
    }
    Some(((a - 1.0) * x.ln() + (b - 1.0) * (1.0 - x).ln() - ln_beta(a, b)).exp())
}

/// The beta distribution function (regularized incomplete beta). As Kusto
/// does, a point outside `[0, 1]` gives NaN and a negative shape gives 1.
fn beta_cdf(x: f64, a: f64, b: f64) -> Option<f64> {
    if !(0.0..=1.0).contains(&x) || x.is_nan() {
        return Some(f64::NAN);
    }
    if a <= 0.0 || b <= 0.0 {
        return Some(1.0);
    }
    Some(incomplete_beta(x, a, b))
}

/// The inverse of [`beta_cdf`] in `x`: null for a probability outside
/// `[0, 1]`, NaN for non-positive shapes.
fn beta_inv(p: f64, a: f64, b: f64) -> Option<f64> {
    if !(0.0..=1.0).contains(&p) {
        return None;
    }
    if a <= 0.0 || b <= 0.0 || a.is_nan() || b.is_nan() {
        return Some(f64::NAN);
    }
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if incomplete_beta(mid, a, b) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

/// The regularized incomplete beta function `I_x(a, b)` by its continued
/// fraction (evaluated on the side where it converges fast).
fn incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = (a * x.ln() + b * (1.0 - x).ln() - ln_beta(a, b)).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(x, a, b) / a
    } else {
        1.0 - front * beta_fraction(1.0 - x, b, a) / b
    }
}

/// The continued fraction of the incomplete beta function (modified Lentz).
fn beta_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..500 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let even = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        for coef in [
            even,
            -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0)),
        ] {
            d = 1.0 + coef * d;
            if d.abs() < TINY {
                d = TINY;
            }
            c = 1.0 + coef / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            h *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// `welch_test(mean1, variance1, count1, mean2, variance2, count2)`: the
/// two-sided p-value of Welch's t-test.
fn welch_test(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let cols: Vec<ColumnarValue> = (0..6)
        .map(|i| kernels::cast(&arg(args, i), DataType::Real, rows))
        .collect();
    let refs: Vec<&ColumnarValue> = cols.iter().collect();
    let (n, scalar) = rows_for(&refs, rows);
    let readers: Option<Vec<_>> = cols.iter().map(reals_of).collect();
    let Some(r) = readers else {
        return Ok(ColumnarValue::Scalar(Value::Null, DataType::Real));
    };
    Ok(access::reals(n, scalar, |i| {
        let v: Option<Vec<f64>> = r.iter().map(|c| c.get(i)).collect();
        match v?.as_slice() {
            &[m1, v1, c1, m2, v2, c2] => welch_p(m1, v1, c1, m2, v2, c2),
            _ => None,
        }
    }))
}

fn welch_p(m1: f64, v1: f64, c1: f64, m2: f64, v2: f64, c2: f64) -> Option<f64> {
    if c1 < 2.0 || c2 < 2.0 {
        return None;
    }
    let (s1, s2) = (v1 / c1, v2 / c2);
    let se = s1 + s2;
    if se <= 0.0 {
        return None;
    }
    let t = (m1 - m2) / se.sqrt();
    let df = se * se / (s1 * s1 / (c1 - 1.0) + s2 * s2 / (c2 - 1.0));
    // Two-sided tail of Student's t: I_{df/(df+t^2)}(df/2, 1/2).
    Some(incomplete_beta(df / (df + t * t), df / 2.0, 0.5))
}

/// A unit table: each unit's size in the table's base unit.
type Units = &'static [(&'static str, f64)];

const ANGLE: Units = &[
    ("Arcminute", 1.0 / 60.0),
    ("Arcsecond", 1.0 / 3600.0),
    ("Centiradian", 0.01 * 180.0 / std::f64::consts::PI),
    ("Deciradian", 0.1 * 180.0 / std::f64::consts::PI),
    ("Degree", 1.0),
    ("Gradian", 0.9),
    ("Microdegree", 1e-6),
    ("Microradian", 1e-6 * 180.0 / std::f64::consts::PI),
    ("Millidegree", 1e-3),
    ("Milliradian", 1e-3 * 180.0 / std::f64::consts::PI),
    ("Nanodegree", 1e-9),
    ("Nanoradian", 1e-9 * 180.0 / std::f64::consts::PI),
    ("NatoMil", 360.0 / 6400.0),
    ("Radian", 180.0 / std::f64::consts::PI),
    ("Revolution", 360.0),
    ("Tilt", 1.0),
];

const ENERGY: Units = &[
    ("BritishThermalUnit", 1055.05585262),
    ("Calorie", 4.184),
    ("DecathermEc", 1.05505585262e9),
    ("DecathermImperial", 1.05505585257348e9),
    ("DecathermUs", 1.054804e9),
    ("ElectronVolt", 1.602176634e-19),
    ("Erg", 1e-7),
    ("FootPound", 1.355817948),
    ("GigabritishThermalUnit", 1055.05585262e9),
    ("GigaelectronVolt", 1.602176634e-10),
    ("Gigajoule", 1e9),
    ("GigawattDay", 24.0 * 3600.0 * 1e9),
    ("GigawattHour", 3.6e12),
    ("HorsepowerHour", 2.6845195377e6),
    ("Joule", 1.0),
    ("KilobritishThermalUnit", 1055.05585262e3),
    ("Kilocalorie", 4184.0),
    ("KiloelectronVolt", 1.602176634e-16),
    ("Kilojoule", 1e3),
    ("KilowattDay", 24.0 * 3600.0 * 1e3),
    ("KilowattHour", 3.6e6),
    ("MegabritishThermalUnit", 1055.05585262e6),
    ("Megacalorie", 4.184e6),
    ("MegaelectronVolt", 1.602176634e-13),
    ("Megajoule", 1e6),
    ("MegawattDay", 24.0 * 3600.0 * 1e6),
    ("MegawattHour", 3.6e9),
    ("Millijoule", 1e-3),
    ("TeraelectronVolt", 1.602176634e-7),
    ("TerawattDay", 24.0 * 3600.0 * 1e12),
    ("TerawattHour", 3.6e15),
    ("ThermEc", 1.05505585262e8),
    ("ThermImperial", 1.05505585257348e8),
    ("ThermUs", 1.054804e8),
    ("WattDay", 24.0 * 3600.0),
    ("WattHour", 3600.0),
];

const FORCE: Units = &[
    ("Decanewton", 10.0),
    ("Dyn", 1e-5),
    ("KilogramForce", 9.80665),
    ("Kilonewton", 1e3),
    ("KiloPond", 9.80665),
    ("KilopoundForce", 4448.2216152605),
    ("Meganewton", 1e6),
    ("Micronewton", 1e-6),
    ("Millinewton", 1e-3),
    ("Newton", 1.0),
    ("OunceForce", 0.278013850953781),
    ("Poundal", 0.138254954376),
    ("PoundForce", 4.4482216152605),
    ("ShortTonForce", 8896.443230521),
    ("TonneForce", 9806.65),
];

const LENGTH: Units = &[
    ("Angstrom", 1e-10),
    ("AstronomicalUnit", 1.495978707e11),
    ("Centimeter", 1e-2),
    ("Chain", 20.1168),
    ("DataMile", 1828.8),
    ("Decameter", 10.0),
    ("Decimeter", 0.1),
    ("DtpPica", 0.0254 / 6.0),
    ("DtpPoint", 0.0254 / 72.0),
    ("Fathom", 1.8288),
    ("Foot", 0.3048),
    ("Hand", 0.1016),
    ("Hectometer", 100.0),
    ("Inch", 0.0254),
    ("KilolightYear", 9.46073047258e18),
    ("Kilometer", 1e3),
    ("Kiloparsec", 3.08567758128e19),
    ("LightYear", 9.46073047258e15),
    ("MegalightYear", 9.46073047258e21),
    ("Megaparsec", 3.08567758128e22),
    ("Meter", 1.0),
    ("Microinch", 2.54e-8),
    ("Micrometer", 1e-6),
    ("Mil", 2.54e-5),
    ("Mile", 1609.344),
    ("Millimeter", 1e-3),
    ("Nanometer", 1e-9),
    ("NauticalMile", 1852.0),
    ("Parsec", 3.08567758128e16),
    ("PrinterPica", 0.0254 / 6.0225),
    ("PrinterPoint", 0.0254 / 72.27),
    ("Shackle", 27.432),
    ("SolarRadius", 6.95510e8),
    ("Twip", 0.0254 / 1440.0),
    ("UsSurveyFoot", 1200.0 / 3937.0),
    ("Yard", 0.9144),
];

const MASS: Units = &[
    ("Centigram", 1e-5),
    ("Decagram", 1e-2),
    ("Decigram", 1e-4),
    ("Grain", 6.479891e-5),
    ("Gram", 1e-3),
    ("Hectogram", 0.1),
    ("Kilogram", 1.0),
    ("Kilopound", 453.59237),
    ("Kilotonne", 1e6),
    ("LongHundredweight", 50.80234544),
    ("LongTon", 1016.0469088),
    ("Megapound", 453592.37),
    ("Megatonne", 1e9),
    ("Microgram", 1e-9),
    ("Milligram", 1e-6),
    ("Nanogram", 1e-12),
    ("Ounce", 0.028349523125),
    ("Pound", 0.45359237),
    ("ShortHundredweight", 45.359237),
    ("ShortTon", 907.18474),
    ("Slug", 14.593902937206),
    ("Stone", 6.35029318),
    ("Tonne", 1e3),
];

const SPEED: Units = &[
    ("CentimeterPerHour", 1e-2 / 3600.0),
    ("CentimeterPerMinute", 1e-2 / 60.0),
    ("CentimeterPerSecond", 1e-2),
    ("DecimeterPerMinute", 0.1 / 60.0),
    ("DecimeterPerSecond", 0.1),
    ("FootPerHour", 0.3048 / 3600.0),
    ("FootPerMinute", 0.3048 / 60.0),
    ("FootPerSecond", 0.3048),
    ("InchPerHour", 0.0254 / 3600.0),
    ("InchPerMinute", 0.0254 / 60.0),
    ("InchPerSecond", 0.0254),
    ("KilometerPerHour", 1e3 / 3600.0),
    ("KilometerPerMinute", 1e3 / 60.0),
    ("KilometerPerSecond", 1e3),
    ("Knot", 1852.0 / 3600.0),
    ("MeterPerHour", 1.0 / 3600.0),
    ("MeterPerMinute", 1.0 / 60.0),
    ("MeterPerSecond", 1.0),
    ("MicrometerPerMinute", 1e-6 / 60.0),
    ("MicrometerPerSecond", 1e-6),
    ("MilePerHour", 1609.344 / 3600.0),
    ("MillimeterPerHour", 1e-3 / 3600.0),
    ("MillimeterPerMinute", 1e-3 / 60.0),
    ("MillimeterPerSecond", 1e-3),
    ("NanometerPerMinute", 1e-9 / 60.0),
    ("NanometerPerSecond", 1e-9),
    ("UsSurveyFootPerHour", 1200.0 / 3937.0 / 3600.0),
    ("UsSurveyFootPerMinute", 1200.0 / 3937.0 / 60.0),
    ("UsSurveyFootPerSecond", 1200.0 / 3937.0),
    ("YardPerHour", 0.9144 / 3600.0),
    ("YardPerMinute", 0.9144 / 60.0),
    ("YardPerSecond", 0.9144),
];

const VOLUME: Units = &[
    ("AcreFoot", 1.0 / 0.000810714),
    ("AuTablespoon", 2e-5),
    ("Centiliter", 1e-5),
    ("CubicCentimeter", 1e-6),
    ("CubicDecimeter", 1e-3),
    ("CubicFoot", 0.028316846592),
    ("CubicHectometer", 1e6),
    ("CubicInch", 1.6387064e-5),
    ("CubicKilometer", 1e9),
    ("CubicMeter", 1.0),
    ("CubicMicrometer", 1e-18),
    ("CubicMile", 4.16818182544058e9),
    ("CubicMillimeter", 1e-9),
    ("CubicYard", 0.764554857984),
    ("Decaliter", 1e-2),
    ("DecausGallon", 0.03785411784),
    ("Deciliter", 1e-4),
    ("DeciusGallon", 3.785411784e-4),
    ("HectocubicFoot", 2.8316846592),
    ("HectocubicMeter", 100.0),
    ("Hectoliter", 0.1),
    ("HectousGallon", 0.3785411784),
    ("ImperialBeerBarrel", 0.16365924),
    ("ImperialGallon", 0.00454609),
    ("ImperialOunce", 2.841_306_25e-5),
    ("ImperialPint", 5.6826125e-4),
    ("KilocubicFoot", 28.316846592),
    ("KilocubicMeter", 1e3),
    ("KiloimperialGallon", 4.54609),
    ("Kiloliter", 1.0),
    ("KilousGallon", 3.785411784),
    ("Liter", 1e-3),
    ("MegacubicFoot", 28316.846592),
    ("MegaimperialGallon", 4546.09),
    ("Megaliter", 1e3),
    ("MegausGallon", 3785.411784),
    ("MetricCup", 2.5e-4),
    ("MetricTeaspoon", 5e-6),
    ("Microliter", 1e-9),
    ("Milliliter", 1e-6),
    ("OilBarrel", 0.158987294928),
    ("UkTablespoon", 1.5e-5),
    ("UsBeerBarrel", 0.1173477658),
    ("UsCustomaryCup", 2.365882365e-4),
    ("UsGallon", 0.003785411784),
    ("UsLegalCup", 2.4e-4),
    ("UsOunce", 2.95735295625e-5),
    ("UsPint", 4.73176473e-4),
    ("UsQuart", 9.46352946e-4),
    ("UsTablespoon", 1.478676478125e-5),
    ("UsTeaspoon", 4.92892159375e-6),
];

fn unit_size(table: Units, name: &str) -> Option<f64> {
    table
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, size)| *size)
}

fn convert_with(table: Units, args: &[ColumnarValue], rows: usize) -> ColumnarValue {
    let x = kernels::cast(&arg(args, 0), DataType::Real, rows);
    let from = kernels::strings::as_string(&arg(args, 1), rows);
    let to = kernels::strings::as_string(&arg(args, 2), rows);
    let (n, scalar) = rows_for(&[&x, &from, &to], rows);
    let (Some(v), Some(f), Some(t)) = (reals_of(&x), access::strs(&from), access::strs(&to)) else {
        return ColumnarValue::Scalar(Value::Null, DataType::Real);
    };
    access::reals(n, scalar, |i| {
        let value = v.get(i)?;
        let from = unit_size(table, f.get(i))?;
        let to = unit_size(table, t.get(i))?;
        Some(if from == to { value } else { value * from / to })
    })
}

/// Temperature units: `(name, scale, offset)` with kelvins = value × scale
/// + offset.
const TEMPERATURE: &[(&str, f64, f64)] = &[
    ("DegreeCelsius", 1.0, 273.15),
    ("DegreeDelisle", -2.0 / 3.0, 373.15),
    ("DegreeFahrenheit", 5.0 / 9.0, 459.67 * 5.0 / 9.0),
    ("DegreeNewton", 100.0 / 33.0, 273.15),
    ("DegreeRankine", 5.0 / 9.0, 0.0),
    ("DegreeReaumur", 5.0 / 4.0, 273.15),
    ("DegreeRoemer", 40.0 / 21.0, 273.15 - 7.5 * 40.0 / 21.0),
    ("Kelvin", 1.0, 0.0),
    ("MillidegreeCelsius", 0.001, 273.15),
    ("SolarTemperature", 5778.0, 0.0),
];

fn temperature_unit(name: &str) -> Option<(f64, f64)> {
    TEMPERATURE
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, scale, offset)| (*scale, *offset))
}

/// `convert_temperature(value, from, to)`: through kelvins (temperature
/// scales have offsets, so unlike the other `convert_*` functions this is
/// not one factor). An unknown unit gives null.
fn convert_temperature(args: &[ColumnarValue], rows: usize) -> ColumnarValue {
    let x = kernels::cast(&arg(args, 0), DataType::Real, rows);
    let from = kernels::strings::as_string(&arg(args, 1), rows);
    let to = kernels::strings::as_string(&arg(args, 2), rows);
    let (n, scalar) = rows_for(&[&x, &from, &to], rows);
    let (Some(v), Some(f), Some(t)) = (reals_of(&x), access::strs(&from), access::strs(&to)) else {
        return ColumnarValue::Scalar(Value::Null, DataType::Real);
    };
    access::reals(n, scalar, |i| {
        let value = v.get(i)?;
        let (fs, fo) = temperature_unit(f.get(i))?;
        let (ts, to) = temperature_unit(t.get(i))?;
        if fs == ts && fo == to {
            return Some(value);
        }
        Some((value * fs + fo - to) / ts)
    })
}

/// `assert(condition, message)`: `true`, or the query fails with the
/// message. The condition must be a constant.
fn assert(
    args: &[ColumnarValue],
    _: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let Some(ColumnarValue::Scalar(cond, _)) = args.first() else {
        return Err(FunctionError::NotConstant { index: 0 });
    };
    let message = match args.get(1) {
        Some(ColumnarValue::Scalar(m, _)) => super::as_text(m),
        _ => return Err(FunctionError::NotConstant { index: 1 }),
    };
    if *cond == Value::Bool(true) {
        Ok(ColumnarValue::Scalar(Value::Bool(true), DataType::Bool))
    } else {
        Err(FunctionError::Invalid(format!(
            "assert() has failed with message: '{message}'"
        )))
    }
}

/// `format_bytes(size[, precision[, unit]])`: binary (1024) multiples.
fn format_bytes(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::String, |v| {
        let size = v.first().and_then(super::as_real);
        let precision = v.get(1).and_then(super::as_long).unwrap_or(0).clamp(0, 15) as i32;
        let unit = v.get(2).map(super::as_text).unwrap_or_default();
        Value::string(
            size.map(|s| bytes_text(s, precision, &unit))
                .unwrap_or_default(),
        )
    }))
}

const BYTE_UNITS: [&str; 7] = ["Bytes", "KB", "MB", "GB", "TB", "PB", "EB"];

fn bytes_text(size: f64, precision: i32, unit: &str) -> String {
    let power = match BYTE_UNITS
        .iter()
        .position(|u| !unit.is_empty() && u.eq_ignore_ascii_case(unit))
    {
        Some(p) => p,
        None => {
            let mut p = 0;
            let mut rest = size.abs();
            while rest >= 1024.0 && p + 1 < BYTE_UNITS.len() {
                rest /= 1024.0;
                p += 1;
            }
            p
        }
    };
    let scaled = size / 1024f64.powi(power as i32);
    let factor = 10f64.powi(precision);
    let rounded = (scaled * factor).round() / factor;
    let name = BYTE_UNITS.get(power).copied().unwrap_or("Bytes");
    format!("{} {name}", crate::value::format_real(rounded))
}

/// `around(value, center, delta)`: `center - delta <= value <= center + delta`.
fn around(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Bool, |v| {
        let (Some(x), Some(c), Some(d)) = (v.first(), v.get(1), v.get(2)) else {
            return Value::Null;
        };
        let bounds = match (x, c, d) {
            (
                Value::DateTime(x) | Value::TimeSpan(x),
                Value::DateTime(c) | Value::TimeSpan(c),
                Value::TimeSpan(d),
            ) => Some((
                *x as f64,
                c.saturating_sub(*d) as f64,
                c.saturating_add(*d) as f64,
            )),
            _ => match (super::as_real(x), super::as_real(c), super::as_real(d)) {
                (Some(x), Some(c), Some(d)) => Some((x, c - d, c + d)),
                _ => None,
            },
        };
        match bounds {
            Some((x, lo, hi)) => Value::Bool(lo <= x && x <= hi),
            None => Value::Null,
        }
    }))
}

/// Counts random-source invocations so that two calls in one query differ.
static RANDOM_CALLS: AtomicU64 = AtomicU64::new(0);

/// A small deterministic generator (SplitMix64).
struct SplitMix(u64);

impl SplitMix {
    fn seeded(ctx: &EvalContext) -> SplitMix {
        let call = RANDOM_CALLS.fetch_add(1, Ordering::Relaxed);
        SplitMix((ctx.now as u64) ^ call.wrapping_mul(0xD1B5_4A32_D192_ED03))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn real(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `rand()`: a real in `[0, 1)`; `rand(n)`: a long in `[0, n)`. Each row
/// gets its own value.
fn rand(
    args: &[ColumnarValue],
    rows: usize,
    ctx: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let mut rng = SplitMix::seeded(ctx);
    let n = rows.max(1);
    if args.is_empty() {
        let vals: Vec<f64> = (0..n).map(|_| rng.real()).collect();
        return Ok(random_result(Column::new(ColumnData::Real(vals)), rows));
    }
    let bound = kernels::cast(&arg(args, 0), DataType::Long, rows);
    let Some(b) = access::ints(&bound) else {
        return Ok(ColumnarValue::Scalar(Value::Null, DataType::Long));
    };
    let scalar_bound = scalar_arg(args, 0).is_some();
    let (vals, valid) = access::map_rows(n, |i| {
        let limit = b.get(if scalar_bound { 0 } else { i })?;
        let r = rng.real();
        Some(if limit <= 0 {
            0
        } else {
            ((r * limit as f64) as i64).min(limit - 1)
        })
    });
    Ok(random_result(
        Column::with_validity(ColumnData::Long(vals), valid),
        rows,
    ))
}

/// A column of per-row random values; for an empty batch (`rows == 0`,
/// e.g. constant evaluation) the single value drawn, as a scalar.
fn random_result(col: Column, rows: usize) -> ColumnarValue {
    if rows == 0 {
        ColumnarValue::Scalar(col.get(0), col.data_type())
    } else {
        ColumnarValue::Column(Arc::new(col))
    }
}

/// `new_guid()`: a random (version 4) guid per row.
fn new_guid(
    _: &[ColumnarValue],
    rows: usize,
    ctx: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let mut rng = SplitMix::seeded(ctx);
    let vals: Vec<u128> = (0..rows.max(1))
        .map(|_| {
            let raw = ((rng.next() as u128) << 64) | rng.next() as u128;
            // Version 4, RFC 4122 variant.
            (raw & !(0xF000u128 << 64) | (0x4000u128 << 64)) & !(0xC000u128 << 48)
                | (0x8000u128 << 48)
        })
        .collect();
    Ok(random_result(Column::new(ColumnData::Guid(vals)), rows))
}

#[cfg(test)]
mod tests {
    use crate::functions::test_util::{call, s};
    use crate::value::Value;

    fn real(v: Value) -> f64 {
        match v {
            Value::Real(r) => r,
            other => panic!("expected a real, got {other:?}"),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn erf_and_erfc_match_kusto_values() {
        assert!(close(
            real(call("erf", &[Value::Long(1)])),
            0.8427007929497149
        ));
        assert!(close(
            real(call("erfc", &[Value::Long(3)])),
            2.2090496998585438e-05
        ));
    }

    #[test]
    fn loggamma_of_five_is_ln_24() {
        assert!(close(real(call("loggamma", &[Value::Long(5)])), 24f64.ln()));
    }

    #[test]
    fn beta_distribution_functions_match_kusto_samples() {
        let args = |x: f64| [Value::Real(x), Value::Real(10.0), Value::Real(20.0)];
        assert!(close(real(call("beta_pdf", &args(0.5))), 0.746176019310951));
        assert!(close(
            real(call("beta_cdf", &args(0.9))),
            0.9999999999999593
        ));
        assert!(close(
            real(call("beta_inv", &args(0.1))),
            0.22641502238874897
        ));
        assert!(real(call("beta_cdf", &args(1.5))).is_nan());
        assert_eq!(call("beta_inv", &args(1.5)), Value::Null);
        let bad = [Value::Real(0.1), Value::Real(-1.0), Value::Real(20.0)];
        assert_eq!(call("beta_cdf", &bad), Value::Real(1.0));
        assert!(real(call("beta_pdf", &bad)).is_nan());
    }

    #[test]
    fn welch_test_matches_the_textbook_example() {
        let p = call(
            "welch_test",
            &[
                Value::Real(20.819999999999997),
                Value::Real(7.867428571428571),
                Value::Long(15),
                Value::Real(22.986666666666668),
                Value::Real(3.812666666666667),
                Value::Long(15),
            ],
        );
        assert!((real(p) - 0.02137800146286441).abs() < 1e-9);
    }

    #[test]
    fn unit_conversions_use_documented_factors() {
        let conv = |f: &str, a: &str, b: &str| real(call(f, &[Value::Real(1.2), s(a), s(b)]));
        assert!(close(
            conv("convert_length", "Meter", "Foot"),
            3.9370078740157477
        ));
        assert!(close(conv("convert_angle", "Degree", "Arcminute"), 72.0));
        assert!(close(
            conv("convert_speed", "MeterPerSecond", "CentimeterPerHour"),
            432000.0
        ));
        assert!(close(
            conv("convert_energy", "Joule", "BritishThermalUnit"),
            0.0011373805443759806
        ));
        assert_eq!(
            call("convert_force", &[Value::Real(1.2), s("Newton"), s("Nope")]),
            Value::Null
        );
    }

    #[test]
    fn format_bytes_picks_binary_units_and_rounds() {
        assert_eq!(call("format_bytes", &[Value::Long(564)]), s("564 Bytes"));
        assert_eq!(
            call("format_bytes", &[Value::Long(10332), Value::Long(1)]),
            s("10.1 KB")
        );
        assert_eq!(call("format_bytes", &[Value::Long(20010332)]), s("19 MB"));
        assert_eq!(
            call(
                "format_bytes",
                &[Value::Long(20010332), Value::Long(0), s("KB")]
            ),
            s("19541 KB")
        );
    }

    #[test]
    fn around_includes_both_ends() {
        let t = |x: i64| Value::DateTime(x);
        assert_eq!(
            call("around", &[t(90), t(100), Value::TimeSpan(10)]),
            Value::Bool(true)
        );
        assert_eq!(
            call("around", &[t(89), t(100), Value::TimeSpan(10)]),
            Value::Bool(false)
        );
        assert_eq!(
            call("around", &[Value::Long(5), Value::Long(3), Value::Long(2)]),
            Value::Bool(true)
        );
    }

    #[test]
    fn rand_stays_in_range() {
        for _ in 0..100 {
            let r = real(call("rand", &[]));
            assert!((0.0..1.0).contains(&r));
            match call("rand", &[Value::Long(3)]) {
                Value::Long(n) => assert!((0..3).contains(&n)),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn new_guid_is_version_four() {
        match call("new_guid", &[]) {
            Value::Guid(g) => {
                let text = crate::value::format_guid(g);
                assert_eq!(text.as_bytes().get(14), Some(&b'4'), "{text}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn convert_temperature_goes_through_kelvins() {
        let t = |v: f64, from: &str, to: &str| {
            call(
                "convert_temperature",
                &[Value::Real(v), Value::string(from), Value::string(to)],
            )
        };
        let near = |v: Value, want: f64| match v {
            Value::Real(r) => (r - want).abs() < 1e-9,
            _ => false,
        };
        // The reference's example shows 0.00439319055464031 (1.2 / 273.15),
        // which no temperature scale gives; 1.2 K is -271.95 °C.
        assert!(near(t(1.2, "Kelvin", "DegreeCelsius"), -271.95));
        assert!(near(t(100.0, "DegreeCelsius", "DegreeFahrenheit"), 212.0));
        assert!(near(t(32.0, "DegreeFahrenheit", "Kelvin"), 273.15));
        assert!(near(t(0.0, "DegreeCelsius", "DegreeDelisle"), 150.0));
        assert!(near(t(100.0, "DegreeCelsius", "DegreeNewton"), 33.0));
        assert!(near(t(100.0, "DegreeCelsius", "DegreeReaumur"), 80.0));
        assert!(near(t(0.0, "DegreeCelsius", "DegreeRoemer"), 7.5));
        assert!(near(t(491.67, "DegreeRankine", "DegreeCelsius"), 0.0));
        assert!(near(t(1500.0, "MillidegreeCelsius", "DegreeCelsius"), 1.5));
        assert!(near(t(1.0, "SolarTemperature", "Kelvin"), 5778.0));
        assert_eq!(t(1.0, "Kelvin", "Parsec"), Value::Null);
        assert_eq!(
            call(
                "convert_temperature",
                &[
                    Value::Null,
                    Value::string("Kelvin"),
                    Value::string("Kelvin")
                ]
            ),
            Value::Null
        );
    }

    fn check_length(len: &str) -> Result<Vec<Value>, String> {
        let q = format!(
            "let checkLength = (len:long, s:string) {{ assert(len > 0, \"Length must be greater than zero\") and strlen(s) > len }};\n\
             datatable(input:string) ['123', '4567'] | where checkLength({len}, input)"
        );
        match crate::engine::Engine::new().run(&q) {
            Ok(t) => {
                let c = t.column("input").ok_or("no column")?;
                Ok((0..c.len()).map(|i| c.get(i)).collect())
            }
            Err(e) => Err(format!("{e:?}")),
        }
    }

    #[test]
    fn assert_passes_true_conditions_and_fails_the_query_with_its_message() {
        assert_eq!(check_length("3"), Ok(vec![Value::string("4567")]));
        let err = check_length("long(-1)").expect_err("the assertion fails");
        assert!(
            err.contains("assert() has failed with message: 'Length must be greater than zero'"),
            "{err}"
        );
    }
}
