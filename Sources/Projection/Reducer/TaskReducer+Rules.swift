import ResourceProtocol

extension TaskReducer {
    /// `create_upload_task_rsp`: the URL for the open upload of that name.
    mutating func offerUpload(_ topic: ResourceTopic, _ file: FileInfo, _ m: IncomingMessage) -> Int64? {
        let key = TaskKey(product: topic.product, device: topic.device, kind: .upload, name: file.name)
        guard let task = openTask(key) else {
            anomaly(.orphanResponse, m, detail: "create_upload_task_rsp for '\(file.name)' with no open upload")
            return nil
        }
        let time = m.time  // the closures below capture the time, not the whole message (a copy each)
        update(task.id, at: time) {
            $0.offers += 1
            if $0.offeredAt == nil { $0.offeredAt = time }
            if $0.state == .requested { $0.state = .offered }
            if $0.size == nil { $0.size = file.size }
            if $0.md5sum == nil { $0.md5sum = file.md5sum }
        }
        return task.id
    }

    /// `get_download_task_rsp` or a pushed `download`: a new attempt, or a re-offer of the same
    /// name and md5 before the device started. `device` is the topic's slot in `devices`.
    mutating func offerDownload(_ topic: ResourceTopic, device: Int, _ file: FileInfo, _ m: IncomingMessage) -> Int64 {
        let key = TaskKey(product: topic.product, device: topic.device, kind: .download, name: file.name)
        if let task = openTask(key), task.state == .offered, task.md5sum == file.md5sum {
            update(task.id, at: m.time) { $0.offers += 1 }
            return task.id
        }
        let id = start(key, device: device, file: file, state: .offered, m)
        let time = m.time
        let poll = devices.takePendingPoll(slot: device).flatMap { time >= $0 && time - $0 <= Self.pollWindow ? $0 : nil }
        update(id, at: time) { $0.offers = 1; $0.offeredAt = time; $0.requestedAt = poll }
        return id
    }

    /// `report_*_progress`: moves the attempt of that name along; the first `fail` is the root cause.
    mutating func progress(_ key: TaskKey, _ p: ProgressReport, _ m: IncomingMessage) -> Int64? {
        guard let id = latestTaskID(key), let task = withTask(id, { (state: $0.state, lastPercent: $0.lastPercent, size: $0.size) }) else {
            anomaly(.orphanProgress, m, detail: "\(p.state.rawValue) for '\(p.name)' with no \(key.kind.rawValue) task")
            return nil
        }
        if let pct = p.percent {
            if pct < 0 || pct > 100 {
                anomaly(.percentOutOfRange, m, task: id, detail: "percent \(pct)")
            } else if let last = task.lastPercent, pct < last, task.state.isOpen {
                anomaly(.percentBackwards, m, task: id, detail: "percent \(last) → \(pct)")
            }
        }
        guard task.state.isOpen else {
            if p.state == .fail, task.state == .failed {
                update(id, at: m.time) { $0.failReports += 1; $0.progressReports += 1; $0.pendingResponses += 1 }
                awaitResponse(id)
                return id
            }
            anomaly(.eventAfterEnd, m, task: id, detail: "\(p.state.rawValue) after the task was \(task.state.rawValue)")
            return id
        }
        if let pct = p.percent, let size = task.size, size > 0 {
            let delta = min(100, max(0, pct)) - min(100, max(0, task.lastPercent ?? 0))
            if delta > 0 {
                let bytes = size.multipliedReportingOverflow(by: delta).partialValue / 100
                let second = Int64(m.time / 1_000_000_000)
                if key.kind == .upload { traffic[second].uploadBytes += bytes }
                else { traffic[second].downloadBytes += bytes }
            }
        }
        let time = m.time
        update(id, at: time) {
            $0.progressReports += 1
            $0.pendingResponses += 1
            if let pct = p.percent { $0.lastPercent = pct }
            switch p.state {
            case .uploading, .downloading:
                $0.state = .transferring
                if $0.firstProgressAt == nil { $0.firstProgressAt = time }
            case .done:
                $0.state = .done
                $0.finishedAt = time
                $0.resultCode = p.resultCode ?? 0
                $0.resultMessage = p.resultMessage ?? ""
            case .fail:
                $0.state = .failed
                $0.finishedAt = time
                $0.failedBy = .device
                $0.resultCode = p.resultCode
                $0.resultMessage = p.resultMessage
                $0.failReports = 1
            }
        }
        if (p.state == .uploading && key.kind == .download) || (p.state == .downloading && key.kind == .upload) {
            anomaly(.invalidField, m, task: id, detail: "state \(p.state.rawValue) in a \(key.kind.rawValue) report")
        }
        return id
    }

    /// Makes sure a task that now expects a `_rsp` is among its device's responders.
    mutating func awaitResponse(_ id: Int64) {
        let t = tasks[id]!
        let slot = devices.slot(of: t.key, firstSeen: t.startedAt)
        if !responders[slot, t.key.kind].contains(id) {
            responders[slot, t.key.kind].append(id)
            responders[slot, t.key.kind].sort()
        }
    }

    /// `report_*_progress_rsp`: attaches to the device's latest open task of that kind (or the
    /// task whose final report it answers); a non-zero code is the platform's rejection.
    mutating func response(device: Int, kind: TaskKind, _ r: PlatformResult, _ m: IncomingMessage) -> Int64? {
        var live = responders[device, kind]
        if !live.allSatisfy({ mayRespond($0) }) {  // a new array only when one has gone
            live = live.filter { mayRespond($0) }
            responders[device, kind] = live
        }
        guard let id = live.last(where: { withTask($0) { $0.state.isOpen }! }) ?? live.last(where: { withTask($0) { $0.pendingResponses > 0 }! }) else {
            anomaly(.orphanResponse, m, detail: "\(kind.rawValue) progress response with no task on the device")
            return nil
        }
        let time = m.time
        update(id, at: time) {
            if $0.pendingResponses > 0 { $0.pendingResponses -= 1 }
            guard r.isRejection, $0.state != .failed else { return }
            $0.state = .failed
            $0.failedBy = .platform
            $0.resultCode = r.resultCode
            $0.resultMessage = r.resultMessage
            $0.finishedAt = time
            $0.pendingResponses = 0
        }
        return id
    }

    /// Whether task `id` can still receive a `_rsp`: open, or awaiting the answer to a report.
    private mutating func mayRespond(_ id: Int64) -> Bool {
        withTask(id) { $0.state.isOpen || $0.pendingResponses > 0 } ?? false
    }

    /// `upload_result`: the platform's verdict on the device's latest upload.
    mutating func uploadResult(device: Int, _ code: Int64?, _ m: IncomingMessage) -> Int64? {
        guard let id = lastStarted[device, .upload], tasks[id] != nil || restore(id) != nil else {
            anomaly(.orphanResponse, m, detail: "upload_result with no upload on the device")
            return nil
        }
        let time = m.time
        update(id, at: time) {
            guard let code, code != 0, $0.state != .failed else { return }
            $0.state = .failed
            $0.failedBy = .platform
            $0.resultCode = code
            $0.resultMessage = nil
            $0.finishedAt = time
        }
        return id
    }
}
