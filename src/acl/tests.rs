#[test]
fn smoke() {
    let sd = super::parse("D:(A;;FA;;;WD)").unwrap();
    assert_eq!(sd.to_string(), "D:(A;;FA;;;WD)");
}
