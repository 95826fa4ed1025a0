/// The grouping of a round's participants for grouping-based model averaging (SSFL §IV): group g
/// holds server replica g and a contiguous block of participant slots, blocks as equal as
/// possible (the first `n mod G` groups one larger). With one group this is plain FedAvg with the
/// server as one member.
public struct GroupPlan: Sendable, Equatable {
    /// `slots[g]` lists the participant slot indices of group g.
    public let slots: [[Int]]

    /// - Precondition: `1 ≤ groups ≤ max(participants, 1)`.
    public init(participants: Int, groups: Int) {
        precondition(groups >= 1 && groups <= max(participants, 1), "[GroupPlan] \(groups) groups for \(participants) participants")
        var out: [[Int]] = []
        var start = 0
        for g in 0..<groups {
            let size = participants / groups + (g < participants % groups ? 1 : 0)
            out.append(Array(start ..< start + size))
            start += size
        }
        slots = out
    }

    public var groupCount: Int { slots.count }

    /// The group of participant slot `slot`.
    public func group(ofSlot slot: Int) -> Int {
        slots.firstIndex { $0.contains(slot) }!
    }
}
