import CFoedusKernels

/// The AMX form of the plain int8 product.
extension IntegerGEMM {
    /// True when the CPU has AMX-INT8 and the operating system granted this process the tile
    /// state: the ``IntegerBackend/vnni`` backend then runs products without a requantizing
    /// epilogue (int8 `B`) on AMX tiles, with the same exact integer sums.
    public static var amxAvailable: Bool { foedus_amx_available() == 1 }

    /// Allows (the default) or forbids the AMX form process-wide and returns the previous
    /// setting; tests use it to compare the VNNI form with the AMX form.
    @discardableResult
    public static func allowAMX(_ allow: Bool) -> Bool { foedus_amx_allow(allow ? 1 : 0) == 1 }
}
