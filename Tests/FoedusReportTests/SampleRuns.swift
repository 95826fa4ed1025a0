import Foundation
@testable import FoedusReport

/// Deterministic, realistic-looking runs for rendering tests and the sample report.
enum SampleRuns {
    /// A tiny counter-based generator so the samples are identical on every machine.
    struct Noise {
        var state: UInt64
        mutating func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
    }

    /// One SSFL-like run: accuracy measured every `evaluateEvery` rounds, losses and rates every round.
    static func run(method: String, r: Double, seed: Int, rounds: Int = 60, evaluateEvery: Int = 5) -> ReportRun {
        var noise = Noise(state: UInt64(seed) &* 7919 &+ UInt64(r * 1000) &+ UInt64(method.count) &* 104729)
        let ceiling = (method == "grouping" ? 0.86 : method == "fedavg" ? 0.83 : 0.62) - 0.08 * r
        var history: [ReportRound] = []
        for round in 1...rounds {
            let progress = 1 - exp(-Double(round) / 14)
            var metrics: [String: Double] = [
                "server_loss": 2.3 * exp(-Double(round) / 10) + 0.05 + 0.02 * noise.next(),
                "user_loss": 0.9 * exp(-Double(round) / 25) + 0.1 + 0.03 * noise.next(),
                "user_mask_rate": 0.3 + 0.55 * progress + 0.02 * noise.next(),
                "user_pseudo_label_accuracy": 0.25 + (ceiling - 0.3) * progress + 0.02 * noise.next(),
            ]
            if round % evaluateEvery == 0 {
                metrics["test_accuracy"] = 0.1 + (ceiling - 0.1) * progress + 0.012 * (noise.next() - 0.5)
                metrics["test_loss"] = 2.3 * (1 - progress) + 0.45 + 0.04 * noise.next()
            }
            history.append(ReportRound(round: round, seconds: 11 + 3 * noise.next(), metrics: metrics))
        }
        return ReportRun(
            id: "\(method)-R\(r)-s\(seed)", name: "cifar10-ssfl", method: method,
            parameters: ["R": String(r), "seed": String(seed), "model": "cnn-gn", "K": "10"],
            status: "finished", rounds: history,
            userHistograms: histograms(users: 10, classes: 10, r: r, seed: seed),
            serverHistogram: Array(repeating: 100, count: 10),
            finalSHA256: String(repeating: "ab", count: 32))
    }

    /// Non-iid user histograms: a share `1 - r` of each user's samples from one dominant class.
    static func histograms(users: Int, classes: Int, r: Double, seed: Int) -> [[Int]] {
        var noise = Noise(state: UInt64(seed) &+ 17)
        return (0..<users).map { user in
            (0..<classes).map { label in
                let base = 500 * r / Double(classes)
                let dominant = label == (user + seed) % classes ? 500 * (1 - r) : 0
                return Int(base + dominant + 20 * noise.next())
            }
        }
    }

    /// A sweep: two methods × three R values × two seeds, plus a single-seed labeled-only baseline.
    static var sweep: [ReportRun] {
        var runs: [ReportRun] = []
        for method in ["grouping", "fedavg"] {
            for r in [0.2, 0.4, 0.6] {
                for seed in 1...2 { runs.append(run(method: method, r: r, seed: seed)) }
            }
        }
        runs.append(run(method: "labeled-only", r: 0.4, seed: 1))
        return runs
    }

    /// Few runs (overlaid plots), one with a hostile name and one with no accuracy at all.
    static var few: [ReportRun] {
        var hostile = run(method: "grouping", r: 0.4, seed: 3)
        hostile.id = "<script>alert('x')</script>&\"q\""
        hostile.name = "<b>bold</b>"
        var silent = run(method: "fedavg", r: 0.2, seed: 9, rounds: 12)
        silent.status = "failed"
        for index in silent.rounds.indices {
            silent.rounds[index].metrics["test_accuracy"] = nil
            // A server loss that collapses over three decades: its plot switches to a log scale.
            silent.rounds[index].metrics["server_loss"] = 2.3 * exp(-Double(index + 1) / 1.5)
        }
        return [run(method: "grouping", r: 0.4, seed: 1), run(method: "fedavg", r: 0.4, seed: 1), hostile, silent]
    }
}
