//! `--shard K/N`: a stable split of the inventory, so N machines can sweep one fleet.

/// A stable shard assignment: FNV-1a (64-bit) of the lower-cased host name, modulo `of`;
/// shard `k` (1-based) takes the hosts whose value is `k - 1`.
pub fn in_shard(name: &str, k: u32, of: u32) -> bool {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.to_lowercase().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % u64::from(of)) as u32 == k - 1
}

/// Parses `K/N` (1 ≤ K ≤ N).
pub fn parse_shard(s: &str) -> Result<(u32, u32), String> {
    let (k, n) = s
        .split_once('/')
        .ok_or_else(|| format!("{s:?}: use K/N, e.g. 2/8"))?;
    let k: u32 = k
        .trim()
        .parse()
        .map_err(|_| format!("{s:?}: K is not a number"))?;
    let n: u32 = n
        .trim()
        .parse()
        .map_err(|_| format!("{s:?}: N is not a number"))?;
    if n == 0 || k == 0 || k > n {
        return Err(format!("{s:?}: need 1 <= K <= N"));
    }
    Ok((k, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_hosts() {
        let names: Vec<String> = (0..1000).map(|i| format!("WEB-{i:04}")).collect();
        let mut counts = [0usize; 4];
        for n in &names {
            let hits: Vec<u32> = (1..=4).filter(|k| in_shard(n, *k, 4)).collect();
            assert_eq!(hits.len(), 1, "{n} in exactly one shard");
            counts[(hits[0] - 1) as usize] += 1;
        }
        assert!(counts.iter().all(|c| *c > 150), "roughly even: {counts:?}");
        assert!(in_shard("Web-0001", 1, 1));
        assert_eq!(in_shard("WEB-0001", 2, 4), in_shard("web-0001", 2, 4));
    }

    #[test]
    fn shard_syntax() {
        assert_eq!(parse_shard("2/8"), Ok((2, 8)));
        assert!(parse_shard("0/8").is_err());
        assert!(parse_shard("9/8").is_err());
        assert!(parse_shard("x").is_err());
    }
}
