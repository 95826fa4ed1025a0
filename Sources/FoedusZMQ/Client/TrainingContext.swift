import Foedus
import FoedusData
import FoedusKernels
import FoedusNN
import FoedusQuant
import FoedusTensor

typealias QuantizedTensorBits = QuantizedTensor.Bits

/// Everything a client needs to train for a run: the config the server sent, the model, the
/// trainer and the local examples. Built once per run and shared by a pool's clients.
struct TrainingContext: Sendable {
    let config: SimulationConfig
    let layer: any Layer
    let template: ModelState
    let trainer: LocalTrainer
    /// Local example indices per user (partition mode) or all examples (own files).
    let indices: @Sendable (Int) -> [Int]
    let examples: @Sendable (Int) -> Int

    static func make(configYAML: String, data: ClientData, runID: String) throws -> TrainingContext {
        let config = try SimulationConfig.parse(yaml: configYAML, source: "the configuration of run \(runID)")
        let mu = config.method == .fedprox ? config.proximalMu : 0
        switch data {
        case .partition:
            let simData = try SimulationData.load(config)
            let sim = try Simulator(config: config, data: simData, runID: runID)
            let users = simData.partition.users
            return TrainingContext(config: config, layer: sim.layer, template: sim.initialState().global, trainer: sim.trainer,
                                   indices: { users.indices.contains($0) ? users[$0] : [] },
                                   examples: { users.indices.contains($0) ? users[$0].count : 0 })
        case .files(let imagesPath, let labelsPath):
            let reference = try DatasetCatalog.load(config.dataset, split: .test, dataDirectory: config.dataDirectory)
            let images = try IDXFile(contentsOf: imagesPath)
            let count = images.count
            let geometry = images.dimensions.dropFirst().reduce(1, *)
            guard geometry == reference.imageByteCount else {
                throw FoedusError.dataProblem("\(imagesPath): images of \(images.dimensions.dropFirst().map(String.init).joined(separator: "×")) bytes, the run's \(config.dataset) has \(reference.channels)×\(reference.height)×\(reference.width)")
            }
            var labels = [Int32](repeating: 0, count: count)
            if let labelsPath {
                let file = try IDXFile(contentsOf: labelsPath)
                guard file.count == count else { throw FoedusError.dataProblem("\(labelsPath): \(file.count) labels for \(count) images") }
                labels = file.bytes.map { Int32($0) }
                if let bad = labels.firstIndex(where: { Int($0) >= reference.classes }) {
                    throw FoedusError.dataProblem("\(labelsPath): label \(labels[bad]) at example \(bad) is not below \(reference.classes)")
                }
            } else if config.objective == .supervised {
                throw FoedusError.dataProblem("the run trains users with labels (objective supervised): give the client a labels file")
            }
            let dataset = Dataset(name: "local", images: images.bytes, labels: labels, channels: reference.channels, height: reference.height,
                                  width: reference.width, classes: reference.classes)
            let layer = try ModelCatalog.make(config.model, classes: reference.classes, inputChannels: reference.channels, imageSize: reference.height, width: config.modelWidth)
            let views = DatasetViews(dataset: dataset, normalization: try Normalization.preset(for: config.dataset), flip: config.horizontalFlip, strong: config.strongAugmentationSettings)
            let trainer = LocalTrainer(config: config, layer: layer, views: views, proximalMu: mu)
            let all = Array(0..<count)
            return TrainingContext(config: config, layer: layer, template: ModelState(layer, key: RandomKey(seed: config.seed).derived("init")),
                                   trainer: trainer, indices: { _ in all }, examples: { _ in count })
        }
    }

    /// Trains one fit instruction and returns the update message.
    func train(_ fit: FitInstruction, round: Int, echo: Bool) throws -> UpdateMessage {
        let p = Int(fit.parameterCount)
        let parameters = try WireTensors.parameterSet(Array(fit.tensors.prefix(p)), matching: template.parameters, what: "fit parameters",
                                                      allowQuantized: true)
        let buffers = try WireTensors.parameterSet(Array(fit.tensors.dropFirst(p)), matching: template.buffers, what: "fit buffers")
        let start = ModelState(parameters: parameters, buffers: buffers)
        if echo {
            return UpdateMessage(user: fit.user, examples: 1, seconds: 0, metrics: [:], isDelta: false, tensors: WireTensors.from(parameters))
        }
        let user = Int(fit.user)
        let indices = self.indices(user)
        guard !indices.isEmpty else { throw FoedusError.dataProblem("user \(user) has no local examples") }
        let task = LocalTask(role: .user(id: user), indices: indices, start: start, firstStep: Int(fit.firstStep), key: RandomKey(rawValue: fit.taskKey))
        let result = Simulator.execute(task, trainer: trainer, wireBits: nil)
        let update = result.update
        if fit.wireBits == 0 {
            return UpdateMessage(user: fit.user, examples: UInt64(update.examples), seconds: result.seconds, metrics: update.metrics,
                                 isDelta: false, tensors: WireTensors.from(update.parameters))
        }
        let bits: QuantizedTensorBits = fit.wireBits == 8 ? .int8 : .int4
        let deltas = Simulator.quantizeDelta(update.parameters, from: start.parameters, bits: bits,
                                             key: RandomKey(rawValue: fit.wireKey).derived(task.key.rawValue))
        return UpdateMessage(user: fit.user, examples: UInt64(update.examples), seconds: result.seconds, metrics: update.metrics, isDelta: true,
                             tensors: zip(update.parameters.names, deltas).map { WireTensor(name: $0.0, payload: .quantized($0.1)) })
    }
}
