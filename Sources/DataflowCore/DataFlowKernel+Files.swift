import DataflowApps
import Synchronization

extension DataFlowKernel {
    /// Why a cacheable task with declared files runs again instead of reusing its checkpointed result.
    enum RerunReason: String {
        case outputMissing = "output_missing"
        case outputChanged = "output_changed"
        case inputChanged = "input_changed"
    }

    /// Memoization for an app with declared files: the key covers the input files' fingerprints, and a
    /// stored result is reused only while the files it wrote are as they were. Returns `true` when the task
    /// was answered from the memo table.
    func memoizeWithFiles(_ record: TaskRecord, input: any Sendable, encodedInput: [UInt8]) -> Bool {
        let app = record.app
        let mode = app.options.fileFingerprint ?? configuration.fileFingerprint
        let inputKey = MemoKey(app: app.name, input: encodedInput)
        let inputFiles = Array(Set(app.inputFiles(of: input))).sorted()
        var key = inputKey
        var recordedInputs: [FileCheckpointRecord.RecordedFile] = []
        if !inputFiles.isEmpty {
            var bytes = encodedInput
            bytes.append(0xFF)
            for file in inputFiles {
                let fingerprint = FileFingerprint(path: file.path, mode: mode)
                recordedInputs.append(.init(path: file.path, fingerprint: fingerprint))
                bytes.append(contentsOf: Array(file.path.utf8))
                bytes.append(0)
                fingerprint.append(to: &bytes)
            }
            key = MemoKey(app: app.name, input: bytes)
        }
        record.memoKey = key
        record.inputKey = inputKey
        record.inputFingerprints = recordedInputs

        if let cached = memoTable[key] {
            // A record without files was written before the app declared any: run again to learn them.
            if let stored = FileCheckpointRecord.decode(cached) {
                guard let (changed, now) = stored.firstChangedOutput() else {
                    // An output that no longer decodes (the app's type changed) is a miss, not a failure.
                    guard let output = try? app.decodeOutput(stored.output) else { return false }
                    finish(record, .success(output), state: .memoDone)
                    return true
                }
                noteRerun(record, now.exists ? .outputChanged : .outputMissing, path: changed.path)
            }
            return false
        }
        if !inputFiles.isEmpty, let previousKey = inputKeyIndex.withLock({ $0[inputKey] }),
            let previous = memoTable[previousKey].flatMap(FileCheckpointRecord.decode)
        {
            let changed = previous.inputs.first { old in recordedInputs.first { $0.path == old.path }?.fingerprint != old.fingerprint }
            noteRerun(record, .inputChanged, path: changed?.path ?? inputFiles[0].path)
        }
        return false
    }

    /// The bytes to store for a successful task of an app with declared files: its output with the
    /// fingerprints of every file it declared or reported writing, taken now.
    func fileRecord(_ record: TaskRecord, output: any Sendable, encodedOutput: [UInt8]) throws -> [UInt8] {
        let app = record.app
        let mode = app.options.fileFingerprint ?? configuration.fileFingerprint
        var files = record.input.map { app.outputFiles(of: $0) } ?? []
        files += app.producedFiles(of: output)
        let outputs = Array(Set(files)).sorted().map { file in
            FileCheckpointRecord.RecordedFile(path: file.path, fingerprint: FileFingerprint(path: file.path, mode: mode))
        }
        let inputKey = record.inputKey ?? record.memoKey!
        if let key = record.memoKey, !record.inputFingerprints.isEmpty {
            inputKeyIndex.withLock { $0[inputKey] = key }
        }
        return try FileCheckpointRecord(inputKey: inputKey.bytes, inputs: record.inputFingerprints, outputs: outputs, output: encodedOutput)
            .encoded()
    }

    private func noteRerun(_ record: TaskRecord, _ reason: RerunReason, path: String) {
        switch reason {
        case .outputMissing, .outputChanged: counters.rerunForOutputs.wrappingAdd(1, ordering: .relaxed)
        case .inputChanged: counters.rerunForInputs.wrappingAdd(1, ordering: .relaxed)
        }
        monitoring?.fileCheck(runID: runID, taskID: record.id, reason: reason.rawValue, path: path, time: Self.now())
    }

    /// Indexes loaded records that have files by their input-only key, to tell a changed input file from a
    /// call never made before.
    static func indexInputKeys(_ table: [MemoKey: [UInt8]]) -> [MemoKey: MemoKey] {
        var index: [MemoKey: MemoKey] = [:]
        for (key, bytes) in table {
            guard let record = FileCheckpointRecord.decode(bytes), !record.inputs.isEmpty,
                let inputKey = MemoKey(bytes: record.inputKey)
            else { continue }
            index[inputKey] = key
        }
        return index
    }
}
