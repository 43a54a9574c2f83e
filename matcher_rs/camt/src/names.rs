//! The element names the camt rules read, interned: a tree node carries a `&'static str`, and
//! every other name of the document's namespace (or of another one) is "".

const NAMES: &[&str] = &[
    "Acct",
    "AcctSvcrRef",
    "AddtlInf",
    "AddtlNtryInf",
    "AddtlRmtInf",
    "AddtlTxInf",
    "AdjstmntAmtAndRsn",
    "Amt",
    "AmtDtls",
    "Bal",
    "BkToCstmrDbtCdtNtfctn",
    "BkToCstmrStmt",
    "BkTxCd",
    "BookgDt",
    "Btch",
    "Ccy",
    "Cd",
    "CdOrPrtry",
    "CdtDbtInd",
    "CdtNoteAmt",
    "CdtrRefInf",
    "CreDtTm",
    "Dbtr",
    "DbtrAcct",
    "Domn",
    "DscntApldAmt",
    "Dt",
    "DtTm",
    "DuePyblAmt",
    "EndToEndId",
    "FrToDt",
    "GrpHdr",
    "IBAN",
    "Id",
    "Nb",
    "NbOfNtries",
    "NbOfTxs",
    "Nm",
    "Ntfctn",
    "Ntry",
    "NtryDtls",
    "Othr",
    "Prtry",
    "Pty",
    "Ref",
    "Refs",
    "RfrdDocAmt",
    "RfrdDocInf",
    "RltdPties",
    "RmtInf",
    "RmtdAmt",
    "Rsn",
    "RtrInf",
    "RvslInd",
    "Stmt",
    "Strd",
    "Sts",
    "SubFmlyCd",
    "Sum",
    "ToDtTm",
    "Tp",
    "TtlCdtNtries",
    "TtlDbtNtries",
    "TtlNtries",
    "TxAmt",
    "TxDtls",
    "TxId",
    "TxsSummry",
    "UltmtDbtr",
    "Ustrd",
    "ValDt",
];

/// Slots of a small open-addressing table: 256 for 71 names keeps probes short.
const SLOTS: usize = 256;

fn hash(name: &[u8]) -> usize {
    // FNV-1a: names are short, and the table is built from the same function.
    let mut h: u32 = 0x811c_9dc5;
    for &b in name {
        h = (h ^ b as u32).wrapping_mul(0x0100_0193);
    }
    h as usize % SLOTS
}

fn table() -> &'static [&'static str; SLOTS] {
    static TABLE: std::sync::OnceLock<[&'static str; SLOTS]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [""; SLOTS];
        for name in NAMES {
            let mut slot = hash(name.as_bytes());
            while !table[slot].is_empty() {
                slot = (slot + 1) % SLOTS;
            }
            table[slot] = name;
        }
        table
    })
}

pub fn intern(local: &[u8]) -> &'static str {
    let table = table();
    let mut slot = hash(local);
    loop {
        let name = table[slot];
        if name.is_empty() || name.as_bytes() == local {
            return name;
        }
        slot = (slot + 1) % SLOTS;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_sorted_and_found() {
        let mut sorted = super::NAMES.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, super::NAMES);
        assert_eq!(super::intern(b"Ntry"), "Ntry");
        assert_eq!(super::intern(b"NtryRef"), "");
    }
}
