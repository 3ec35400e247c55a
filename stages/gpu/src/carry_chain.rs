//! Goldilocks arithmetic as 32-bit PTX carry chains (`add.cc`, `madc.hi.cc`, ...), for the v4
//! Poseidon kernel (`poseidon_fast4`, NOTES.md run 18).
//!
//! Why: the v3 kernel is bound by integer issue, and about 30 % of its instructions were the
//! compare/select pairs that C needs to see a 64-bit carry. PTX exposes the carry flag, so a
//! chain of `add.cc`/`addc` does the same work with no compare and no select.
//!
//! Each operation is written once, as a list of instructions ([`Ins`]), and emitted twice from that
//! list: as one inline-`asm` block for the device, and as the same instructions in C (a carry flag
//! `cf_` in a local) for the host, where the tests run the kernels under g++. So the CPU emulation
//! checks the very instruction sequence the device runs, bounds and folds included; only the
//! spelling of each PTX mnemonic is the device's alone.
//!
//! Values are any 64-bit representative of their residue mod p = 2^64 - 2^32 + 1 (EPS = 2^32 - 1,
//! 2^64 = EPS, 2^96 = -1 mod p); the permutation canonicalises once at its end.

use std::fmt::Write as _;

/// The PTX integer instructions used, all on `.u32` operands (`ShrS31` is `shr.s32 d, a, 31`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Add,
    Sub,
    AddCc,
    Addc,
    AddcCc,
    SubCc,
    Subc,
    SubcCc,
    MulLo,
    MulHi,
    MadLoCc,
    MadcLoCc,
    MadcHiCc,
    MadcHi,
    ShrS31,
}

impl Op {
    fn ptx(self) -> &'static str {
        match self {
            Op::Add => "add.u32",
            Op::Sub => "sub.u32",
            Op::AddCc => "add.cc.u32",
            Op::Addc => "addc.u32",
            Op::AddcCc => "addc.cc.u32",
            Op::SubCc => "sub.cc.u32",
            Op::Subc => "subc.u32",
            Op::SubcCc => "subc.cc.u32",
            Op::MulLo => "mul.lo.u32",
            Op::MulHi => "mul.hi.u32",
            Op::MadLoCc => "mad.lo.cc.u32",
            Op::MadcLoCc => "madc.lo.cc.u32",
            Op::MadcHiCc => "madc.hi.cc.u32",
            Op::MadcHi => "madc.hi.u32",
            Op::ShrS31 => "shr.s32",
        }
    }

    /// The host emulation macro (defined in [`EMULATION`]).
    fn emu(self) -> &'static str {
        match self {
            Op::Add => "EM_ADD",
            Op::Sub => "EM_SUB",
            Op::AddCc => "EM_ADD_CC",
            Op::Addc => "EM_ADDC",
            Op::AddcCc => "EM_ADDC_CC",
            Op::SubCc => "EM_SUB_CC",
            Op::Subc => "EM_SUBC",
            Op::SubcCc => "EM_SUBC_CC",
            Op::MulLo => "EM_MUL_LO",
            Op::MulHi => "EM_MUL_HI",
            Op::MadLoCc => "EM_MAD_LO_CC",
            Op::MadcLoCc => "EM_MADC_LO_CC",
            Op::MadcHiCc => "EM_MADC_HI_CC",
            Op::MadcHi => "EM_MADC_HI",
            Op::ShrS31 => "EM_SHR_S31",
        }
    }
}

/// One instruction: destination, then sources. An operand is a C `u32` variable, a block-local
/// temporary (its name starts with `_`), or a decimal immediate.
struct Ins {
    op: Op,
    args: Vec<&'static str>,
}

/// The host side of every [`Op`]: `cf_` is the carry (add) or borrow (sub) flag, as in PTX.
pub const EMULATION: &str = r#"
#ifndef __CUDA_ARCH__
#define EM_ADD(d, a, b) do { (d) = (u32)((a) + (b)); } while (0)
#define EM_SUB(d, a, b) do { (d) = (u32)((a) - (b)); } while (0)
#define EM_ADD_CC(d, a, b) do { u64 t_ = (u64)(a) + (b); (d) = (u32)t_; cf_ = (u32)(t_ >> 32); } while (0)
#define EM_ADDC(d, a, b) do { (d) = (u32)((u64)(a) + (b) + cf_); } while (0)
#define EM_ADDC_CC(d, a, b) do { u64 t_ = (u64)(a) + (b) + cf_; (d) = (u32)t_; cf_ = (u32)(t_ >> 32); } while (0)
#define EM_SUB_CC(d, a, b) do { u64 t_ = (u64)(a) - (b); (d) = (u32)t_; cf_ = (u32)(t_ >> 63); } while (0)
#define EM_SUBC(d, a, b) do { (d) = (u32)((u64)(a) - (b) - cf_); } while (0)
#define EM_SUBC_CC(d, a, b) do { u64 t_ = (u64)(a) - (b) - cf_; (d) = (u32)t_; cf_ = (u32)(t_ >> 63); } while (0)
#define EM_MUL_LO(d, a, b) do { (d) = (u32)((u64)(a) * (b)); } while (0)
#define EM_MUL_HI(d, a, b) do { (d) = (u32)(((u64)(a) * (b)) >> 32); } while (0)
#define EM_MAD_LO_CC(d, a, b, c) do { u64 t_ = (u64)(u32)((u64)(a) * (b)) + (c); (d) = (u32)t_; cf_ = (u32)(t_ >> 32); } while (0)
#define EM_MADC_LO_CC(d, a, b, c) do { u64 t_ = (u64)(u32)((u64)(a) * (b)) + (c) + cf_; (d) = (u32)t_; cf_ = (u32)(t_ >> 32); } while (0)
#define EM_MADC_HI_CC(d, a, b, c) do { u64 t_ = (((u64)(a) * (b)) >> 32) + (c) + cf_; (d) = (u32)t_; cf_ = (u32)(t_ >> 32); } while (0)
#define EM_MADC_HI(d, a, b, c) do { (d) = (u32)((((u64)(a) * (b)) >> 32) + (c) + cf_); } while (0)
#define EM_SHR_S31(d, a) do { (d) = ((a) >> 31) ? 0xFFFFFFFFu : 0u; } while (0)
#endif
"#;

/// A straight-line list of instructions, emitted as one device `asm` block or its host twin.
#[derive(Default)]
struct Chain {
    ins: Vec<Ins>,
}

fn is_imm(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_digit())
}

impl Chain {
    fn op(&mut self, op: Op, args: &[&'static str]) -> &mut Self {
        let want = match op {
            Op::ShrS31 => 2,
            Op::MadLoCc | Op::MadcLoCc | Op::MadcHiCc | Op::MadcHi => 4,
            _ => 3,
        };
        assert_eq!(args.len(), want, "{op:?} takes {want} operands");
        self.ins.push(Ins { op, args: args.to_vec() });
        self
    }

    /// The C statements of this chain: `asm` on the device, the emulation macros on the host.
    fn emit(&self) -> String {
        let mut written: Vec<&str> = Vec::new();
        let mut read: Vec<&str> = Vec::new();
        let mut temps: Vec<&str> = Vec::new();
        for i in &self.ins {
            for (k, &a) in i.args.iter().enumerate() {
                if is_imm(a) {
                    continue;
                }
                let list = if a.starts_with('_') {
                    &mut temps
                } else if k == 0 {
                    &mut written
                } else {
                    &mut read
                };
                if !list.contains(&a) {
                    list.push(a);
                }
            }
        }
        read.retain(|r| !written.contains(r));
        // Operand numbers: outputs first ("+r"), then inputs ("r").
        let num = |a: &str| -> String {
            if is_imm(a) || a.starts_with('_') {
                return a.to_string();
            }
            let pos = written
                .iter()
                .position(|w| *w == a)
                .unwrap_or_else(|| written.len() + read.iter().position(|r| *r == a).unwrap());
            format!("%{pos}")
        };
        let mut s = String::from("#ifdef __CUDA_ARCH__\n  asm(\"{\\n\\t\"\n");
        if !temps.is_empty() {
            let _ = writeln!(s, "      \".reg .u32 {};\\n\\t\"", temps.join(", "));
        }
        for i in &self.ins {
            let mut args: Vec<String> = i.args.iter().map(|a| num(a)).collect();
            if i.op == Op::ShrS31 {
                args.push("31".into());
            }
            let _ = writeln!(s, "      \"{} {};\\n\\t\"", i.op.ptx(), args.join(", "));
        }
        let outs: Vec<String> = written.iter().map(|w| format!("\"+r\"({w})")).collect();
        let ins: Vec<String> = read.iter().map(|r| format!("\"r\"({r})")).collect();
        let _ = writeln!(s, "      \"}}\" : {} : {});", outs.join(", "), ins.join(", "));
        s.push_str("#else\n  {\n    u32 cf_ = 0;\n");
        if !temps.is_empty() {
            let decl: Vec<String> = temps.iter().map(|t| format!("{t} = 0")).collect();
            let _ = writeln!(s, "    u32 {};", decl.join(", "));
        }
        for i in &self.ins {
            let args: Vec<String> =
                i.args.iter().map(|a| if is_imm(a) { format!("{a}u") } else { a.to_string() }).collect();
            let _ = writeln!(s, "    {}({});", i.op.emu(), args.join(", "));
        }
        s.push_str("    (void)cf_;\n  }\n#endif\n");
        s
    }
}

use Op::*;

/// r0,r1 += c * EPS for c in {-1, 0, 1} (a signed word); the caller shows the result fits 64 bits.
fn fold(ch: &mut Chain, c: &'static str) {
    ch.op(ShrS31, &["_s", c]).op(SubCc, &["r0", "r0", c]).op(Subc, &["r1", "r1", "_s"]).op(Add, &["r1", "r1", c]);
}

/// (r0, r1, h0, h1) as a 128-bit value -> r0, r1 (64 bits, same residue).
/// V = (r0, r1) + h0 * 2^32 - h0 - h1, in (-2^33, 2^65): one signed 2^64 coefficient, then folded.
fn reduce128(ch: &mut Chain, h0: &'static str, h1: &'static str) {
    ch.op(AddCc, &["r1", "r1", h0])
        .op(Addc, &["_c", "0", "0"])
        .op(AddCc, &["_t0", h0, h1])
        .op(Addc, &["_t1", "0", "0"])
        .op(SubCc, &["r0", "r0", "_t0"])
        .op(SubcCc, &["r1", "r1", "_t1"])
        .op(Subc, &["_c", "_c", "0"]);
    fold(ch, "_c");
}

/// The cross products a0*b1 + a1*b0 added at 2^32 into (r1, _r2, _r3).
fn cross_terms(ch: &mut Chain) {
    ch.op(MadLoCc, &["r1", "a0", "b1", "r1"])
        .op(MadcHiCc, &["_r2", "a0", "b1", "_r2"])
        .op(Addc, &["_r3", "_r3", "0"])
        .op(MadLoCc, &["r1", "a1", "b0", "r1"])
        .op(MadcHiCc, &["_r2", "a1", "b0", "_r2"])
        .op(Addc, &["_r3", "_r3", "0"]);
}

fn func(name: &str, params: &str, pre: &str, ch: &Chain, post: &str) -> String {
    format!("__device__ __forceinline__ {name}({params}) {{\n{pre}{}{post}}}\n", ch.emit())
}

const SPLIT_AB: &str = "  u32 a0 = (u32)a, a1 = (u32)(a >> 32), b0 = (u32)b, b1 = (u32)(b >> 32), r0 = 0, r1 = 0;\n";
const JOIN: &str = "  return ((u64)r1 << 32) | r0;\n";

/// The v4 arithmetic as C functions over the chains above (device `asm`, host emulation).
pub fn fast4_arithmetic() -> String {
    let mut s = String::from(EMULATION);

    // a * b: the four 32-bit partial products, then the 128-bit reduction (21 instructions).
    let mut ch = Chain::default();
    ch.op(MulLo, &["r0", "a0", "b0"])
        .op(MulHi, &["r1", "a0", "b0"])
        .op(MulLo, &["_r2", "a1", "b1"])
        .op(MulHi, &["_r3", "a1", "b1"]);
    cross_terms(&mut ch);
    reduce128(&mut ch, "_r2", "_r3");
    s.push_str(&func("u64 gl4_mul", "u64 a, u64 b", SPLIT_AB, &ch, JOIN));

    // a * b + c: c enters the first partial product's chain; a*b + c < 2^128.
    let mut ch = Chain::default();
    ch.op(MadLoCc, &["r0", "a0", "b0", "c0"])
        .op(MadcHiCc, &["r1", "a0", "b0", "c1"])
        .op(MadcLoCc, &["_r2", "a1", "b1", "0"])
        .op(MadcHi, &["_r3", "a1", "b1", "0"]);
    cross_terms(&mut ch);
    reduce128(&mut ch, "_r2", "_r3");
    let pre = format!("{SPLIT_AB}  u32 c0 = (u32)c, c1 = (u32)(c >> 32);\n");
    s.push_str(&func("u64 gl4_mul_add", "u64 a, u64 b, u64 c", &pre, &ch, JOIN));

    // a + k for k < p: one carry out, worth EPS; the sum minus 2^64 is below k, so + EPS fits.
    let mut ch = Chain::default();
    ch.op(AddCc, &["r0", "a0", "b0"])
        .op(AddcCc, &["r1", "a1", "b1"])
        .op(Addc, &["_c", "0", "0"])
        .op(Sub, &["_m", "0", "_c"])
        .op(AddCc, &["r0", "r0", "_m"])
        .op(Addc, &["r1", "r1", "0"]);
    s.push_str(&func("u64 gl4_add", "u64 a, u64 b", SPLIT_AB, &ch, JOIN));

    // One term of a dot product: a0*b0 + a1*b1 * 2^64 into the 160-bit E, the cross products into
    // the 96-bit O (worth O * 2^32). 13 terms at most: E < 2^132, O < 2^69.
    let mut ch = Chain::default();
    ch.op(MadLoCc, &["e0", "a0", "b0", "e0"])
        .op(MadcHiCc, &["e1", "a0", "b0", "e1"])
        .op(MadcLoCc, &["e2", "a1", "b1", "e2"])
        .op(MadcHiCc, &["e3", "a1", "b1", "e3"])
        .op(Addc, &["e4", "e4", "0"])
        .op(MadLoCc, &["o0", "a0", "b1", "o0"])
        .op(MadcHiCc, &["o1", "a0", "b1", "o1"])
        .op(Addc, &["o2", "o2", "0"])
        .op(MadLoCc, &["o0", "a1", "b0", "o0"])
        .op(MadcHiCc, &["o1", "a1", "b0", "o1"])
        .op(Addc, &["o2", "o2", "0"]);
    s.push_str(&func(
        "void gl4_dot_term",
        "u32 (&e)[5], u32 (&o)[3], u64 a, u64 b",
        "  u32 a0 = (u32)a, a1 = (u32)(a >> 32), b0 = (u32)b, b1 = (u32)(b >> 32);\n  u32 e0 = e[0], e1 = e[1], e2 = e[2], e3 = e[3], e4 = e[4], o0 = o[0], o1 = o[1], o2 = o[2];\n",
        &ch,
        "  e[0] = e0; e[1] = e1; e[2] = e2; e[3] = e3; e[4] = e4; o[0] = o0; o[1] = o1; o[2] = o2;\n",
    ));

    // E + O * 2^32 as (e0..e4), then V = (e0, e1) + (e2 - e4) * 2^32 - (e2 + e3), in (-2^37, 2^65)
    // (2^64 = EPS, 2^96 = -1, 2^128 = -2^32 mod p).
    let mut ch = Chain::default();
    ch.op(AddCc, &["e1", "e1", "o0"])
        .op(AddcCc, &["e2", "e2", "o1"])
        .op(AddcCc, &["e3", "e3", "o2"])
        .op(Addc, &["e4", "e4", "0"])
        .op(AddCc, &["r1", "e1", "e2"])
        .op(Addc, &["_c", "0", "0"])
        .op(SubCc, &["r1", "r1", "e4"])
        .op(Subc, &["_c", "_c", "0"])
        .op(AddCc, &["_t0", "e2", "e3"])
        .op(Addc, &["_t1", "0", "0"])
        .op(SubCc, &["r0", "e0", "_t0"])
        .op(SubcCc, &["r1", "r1", "_t1"])
        .op(Subc, &["_c", "_c", "0"]);
    fold(&mut ch, "_c");
    s.push_str(&func(
        "u64 gl4_dot_final",
        "const u32 (&e)[5], const u32 (&o)[3]",
        "  u32 e0 = e[0], e1 = e[1], e2 = e[2], e3 = e[3], e4 = e[4], o0 = o[0], o1 = o[1], o2 = o[2], r0 = 0, r1 = 0;\n",
        &ch,
        JOIN,
    ));

    // An MDS row: sl + sh * 2^32 for sl, sh < 2^42 (32-bit halves times plonky2's small entries).
    // (s0, s1 + h0) + c * 2^64 with c < 2^11; fold c * EPS = c * 2^32 - c, then the signed carry.
    let mut ch = Chain::default();
    ch.op(AddCc, &["r1", "s1", "h0"])
        .op(Addc, &["_c", "h1", "0"])
        .op(SubCc, &["r0", "s0", "_c"])
        .op(SubcCc, &["r1", "r1", "0"])
        .op(Subc, &["_k", "0", "0"])
        .op(AddCc, &["r1", "r1", "_c"])
        .op(Addc, &["_k", "_k", "0"]);
    fold(&mut ch, "_k");
    s.push_str(&func(
        "u64 gl4_mds_row",
        "u64 sl, u64 sh",
        "  u32 s0 = (u32)sl, s1 = (u32)(sl >> 32), h0 = (u32)sh, h1 = (u32)(sh >> 32), r0 = 0, r1 = 0;\n",
        &ch,
        JOIN,
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_asm_numbers_outputs_then_inputs_and_declares_temporaries() {
        let mut ch = Chain::default();
        ch.op(AddCc, &["r0", "a0", "b0"]).op(Addc, &["_c", "0", "0"]).op(Add, &["r0", "r0", "_c"]);
        let text = ch.emit();
        assert!(text.contains(".reg .u32 _c;"), "{text}");
        assert!(text.contains("add.cc.u32 %0, %1, %2;"), "{text}");
        assert!(text.contains("addc.u32 _c, 0, 0;"), "{text}");
        assert!(text.contains(": \"+r\"(r0) : \"r\"(a0), \"r\"(b0));"), "{text}");
        assert!(text.contains("EM_ADD_CC(r0, a0, b0);") && text.contains("EM_ADDC(_c, 0u, 0u);"), "{text}");
    }
}
