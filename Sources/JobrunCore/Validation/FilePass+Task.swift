import JobrunYAML

extension FilePass {
    /// Reads one task: nil when it is not a mapping; the spec is nil when the task has errors.
    mutating func readTask(_ node: Node, index i: Int, defaults: TaskFields, fileEnv: OrderedPairs) -> (TaskSource, TaskSpec?)? {
        let before = reader.diagnostics.count
        guard let v = reader.mapping(node, "tasks[\(i)]", keys: JobFileValidator.taskTable) else { return nil }
        func p(_ key: String) -> String { "tasks[\(i)].\(key)" }

        var source = TaskSource(index: i, nameLocation: node.location, after: [])
        var name = ""
        if let n = v[.name] {
            source.nameLocation = n.value.location
            if let s = reader.string(n.value, p("name")) {
                if s.utf8.count > 128 && s.count > 128 {
                    reader.error(.nameTooLong(characters: s.count), n.value, p("name"))
                } else if s.utf8.contains(where: { $0 < 0x20 || $0 >= 0x7f })
                            && s.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7f...0x9f).contains($0.value) }) {
                    reader.error(.controlCharactersInName, n.value, p("name"))
                } else {
                    name = s
                    source.name = s
                }
            }
        } else {
            reader.error(.missing(.name), node, p("name"))
        }

        let beforeType = reader.diagnostics.count
        let type = v[.type].flatMap { reader.choice($0.value, p("type"), TaskType.self) } ?? .command
        let typeWasValid = reader.diagnostics.count == beforeType
        let own = TaskFields.read(v, "tasks[\(i)]", into: &reader)
        let fields = own.over(defaults)

        var command: Command?
        var http: HTTPRequest?
        var email: EmailMessage?
        var output: String?
        if typeWasValid {
            for (key, owner) in [(Key.command, TaskType.command), (.output, .command), (.http, .http), (.email, .email)]
            where owner != type {
                if let pair = v[key] {
                    reader.error(.wrongType(key.name, taskType: type.rawValue, needs: owner.rawValue), pair.key, p(key.name))
                }
            }
            switch type {
            case .command:
                if let c = v[.command] {
                    command = readCommand(c.value, p("command"))
                } else {
                    reader.error(.missing(.command), node, p("command"))
                }
                output = v[.output].flatMap { reader.string($0.value, p("output"), singleLine: true) }
            case .http:
                if let h = v[.http] {
                    http = readHTTP(h.value, p("http"))
                } else {
                    reader.error(.missing(.http), node, p("http"))
                }
            case .email:
                if let e = v[.email] {
                    email = readEmail(e.value, p("email"))
                } else {
                    reader.error(.missing(.email), node, p("email"))
                }
            }
        }

        var schedule = Schedule.now
        if let s = v[.schedule] {
            if let text = scheduleText(s.value, p("schedule")) {
                source.schedule = Located(value: text, location: s.value.location)
                schedule = readSchedule(text, s.value, p("schedule"), source: &source) ?? .now
            }
        }
        var repeatInterval: Duration?
        if let r = v[.repeat] {
            source.repeatLocation = r.value.location
            repeatInterval = reader.duration(r.value, p("repeat"), positive: true)
            if schedule.repeats, let text = source.schedule?.value {
                reader.error(.repeatWithCron(text), r.value, p("repeat"))
            }
        }
        var count: Int?
        if let c = v[.count] {
            source.countLocation = c.value.location
            count = reader.int(c.value, p("count"), range: 1...Int.max)
        }
        var until: Until?
        if let u = v[.until], let text = reader.string(u.value, p("until"), singleLine: true) {
            until = readUntil(text, u.value, p("until"), source: &source)
        }
        let jitter = v[.jitter].flatMap { reader.duration($0.value, p("jitter")) } ?? .zero
        source.jitterLocation = v[.jitter]?.value.location
        let enabled = v[.enabled].flatMap { reader.bool($0.value, p("enabled")) } ?? true
        let tags = v[.tags].flatMap { reader.strings($0.value, p("tags")) }?.map(\.value) ?? []
        if let a = v[.after], let names = reader.strings(a.value, p("after")) {
            source.after = names
        }
        source.notifies = (own.onFailure ?? []).map { (Key.onFailure, $0) } + (own.onSuccess ?? []).map { (Key.onSuccess, $0) }
        source.inherits = (own.onFailure == nil && defaults.onFailure != nil, own.onSuccess == nil && defaults.onSuccess != nil)
        if schedule == .never {
            // A task that runs only when triggered has no schedule for these to shape.
            for key in [Key.repeat, .count, .until, .jitter, .catchUp, .catchUpWithin, .catchUpLimit] {
                if let pair = v[key] { reader.error(.neverWith(key.name), pair.key, p(key.name)) }
            }
        }
        // A timeout from `defaults:` is a safety net, not a statement about this task's interval.
        source.timeoutLocation = own.timeout?.location
        source.retriesLocation = fields.retries?.location

        guard reader.diagnostics.count == before || !reader.diagnostics[before...].contains(where: { $0.severity == .error }) else {
            return (source, nil)
        }
        let retry = RetryPolicy(
            retries: fields.retries?.value ?? 0,
            delay: fields.retryDelay?.value ?? .seconds(1),
            backoff: fields.backoff?.value ?? .exponential,
            maxDelay: fields.maxRetryDelay?.value ?? .seconds(300))
        var task = TaskSpec(
            name: name, index: TaskIndex(i), location: node.location, type: type, command: command,
            shell: fields.shell?.value ?? "/bin/sh", output: output,
            schedule: schedule, repeatInterval: repeatInterval,
            count: count ?? (repeatInterval == nil && !schedule.repeats ? 1 : nil),
            until: until, priority: fields.priority?.value ?? 50, timeout: fields.timeout?.value,
            killGrace: fields.killGrace?.value ?? .seconds(5), retry: retry, jitter: jitter,
            overlap: fields.overlap?.value ?? .skip, after: source.after.map(\.value), enabled: enabled,
            tags: tags, env: fileEnv + (defaults.env ?? []) + (fields.env ?? []),
            workingDirectory: fields.workingDirectory?.value)
        task.http = http
        task.email = email
        task.catchUp = fields.catchUp?.value ?? .none
        task.catchUpWithin = fields.catchUpWithin?.value ?? .seconds(24 * 3600)
        task.catchUpLimit = fields.catchUpLimit?.value ?? 100
        task.onLost = fields.onLost?.value ?? .abandon
        return (source, task)
    }

    private mutating func readCommand(_ node: Node, _ path: @autoclosure () -> String) -> Command? {
        if node.items != nil {
            return reader.strings(node, path(), nonEmpty: true).map { .argv($0.map(\.value)) }
        }
        if node.pairs != nil {
            reader.error(.expected(.stringOrList, found: NodeReader.describe(node)), node, path())
            return nil
        }
        guard let s = reader.string(node, path()) else { return nil }
        if s.trimmingSpaces().isEmpty {
            reader.error(.emptyString, node, path())
            return nil
        }
        return .shell(s)
    }

    private mutating func scheduleText(_ node: Node, _ path: @autoclosure () -> String) -> String? {
        if case .int(let n)? = node.scalar?.resolved {
            reader.error(.badSchedule("\(n)"), node, path())
            return nil
        }
        return reader.string(node, path(), singleLine: true)
    }

    private mutating func readSchedule(_ text: String, _ node: Node, _ path: @autoclosure () -> String, source: inout TaskSource) -> Schedule? {
        let t = text.trimmingSpaces()
        if t == "now" { return .now }
        if t == "never" { return .never }
        if t.utf8.first == UInt8(ascii: "+") {
            guard let d = ValueSyntax.offset(t) else {
                reader.error(.badDuration(String(t.dropFirst())), node, path())
                return nil
            }
            return .offset(d)
        }
        if t.utf8.first == UInt8(ascii: "@"), t.utf8.count >= 6, t.prefix(6).lowercased() == "@every" {
            let rest = String(t.dropFirst(6)).trimmingSpaces()
            guard let d = ValueSyntax.duration(rest) else {
                reader.error(.badDuration(rest), node, path())
                return nil
            }
            guard d > .zero else {
                reader.error(.mustBePositive(rest), node, path())
                return nil
            }
            return .every(d)
        }
        if let ts = ValueSyntax.timestamp(t) {
            return .at(instant(ts, text: t, node.location, path(), source: &source))
        }
        if looksLikeTimestamp(t) {
            reader.error(.badTimestamp(t), node, path())
            return nil
        }
        guard t.hasPrefix("@") || t.contains(" ") || t.contains("\t") else {
            reader.error(.badSchedule(t), node, path())
            return nil
        }
        do throws(CronError) {
            // Large files repeat the same few expressions; parse each once.
            if let cached = cronCache[t] { return cached }
            let cron = try CronExpression(t)
            if !cron.canFire {
                reader.warning(.cronNeverFires(t), at: node.location, path())
                return .cron(cron)
            }
            // `*/10 * * * * *`: six fields, so the first is seconds — most likely a five-field
            // line with one `*` too many. Seconds meant as seconds read `0/10` or `0,30`.
            if cron.hasSeconds, cron.fields[0].hasPrefix("*"), cron.fields.dropFirst().allSatisfy({ $0 == "*" }) {
                reader.warning(.cronSecondsLookAccidental(t, minutes: cron.fields[0]), at: node.location, path())
            }
            cronCache[t] = .cron(cron)
            return .cron(cron)
        } catch {
            reader.error(.badCron(t, error), node, path())
            return nil
        }
    }

    private func looksLikeTimestamp(_ t: String) -> Bool {
        let u = Array(t.utf8)
        return u.count >= 8 && u[0...3].allSatisfy { $0 >= 48 && $0 <= 57 } && u[4] == 45
    }

    private mutating func readUntil(_ text: String, _ node: Node, _ path: @autoclosure () -> String, source: inout TaskSource) -> Until? {
        let t = text.trimmingSpaces()
        if t.utf8.first == UInt8(ascii: "+") {
            guard let d = ValueSyntax.offset(t) else {
                reader.error(.badUntil(t), node, path())
                return nil
            }
            return .offset(d)
        }
        guard let ts = ValueSyntax.timestamp(t) else {
            reader.error(looksLikeTimestamp(t) ? .badTimestamp(t) : .badUntil(t), node, path())
            return nil
        }
        return .at(instant(ts, text: t, node.location, path(), source: &source))
    }

    /// The instant of a timestamp; local ones are read in the file's zone.
    private func instant(_ ts: ValueSyntax.Timestamp, text: String, _ at: SourceLocation, _ path: @autoclosure () -> String, source: inout TaskSource) -> Instant {
        if case .local(let civil, _) = ts { source.localTimes.append((path(), text, civil, at)) }
        return ts.instant(in: zone)
    }

    private mutating func readHTTP(_ node: Node, _ path: @autoclosure () -> String) -> HTTPRequest? {
        guard let v = reader.mapping(node, path(), keys: JobFileValidator.httpTable) else { return nil }
        func p(_ k: String) -> String { "\(path()).\(k)" }
        var url: String?
        if let u = v[.url] {
            if let s = reader.string(u.value, p("url"), singleLine: true) {
                // The URL is checked as it will be sent, with ${NAME} references filled in
                // (when linting, one that is not set stands for a word).
                var env = environment
                // An event variable (filled in when the run is triggered) stands for one too.
                for name in EnvironmentReference.names(in: s) where env[name] == nil && (linting || name.hasPrefix(EventVariable.prefix)) {
                    env[name] = "x"
                }
                let expanded = EnvironmentReference.expand(s, from: env).text
                if HTTPRequest.isValidURL(expanded) { url = s } else { reader.error(.badURL(s), u.value, p("url")) }
            }
        } else {
            reader.error(.missing(.url), node, p("url"))
        }
        var method = "POST"
        if let m = v[.method], let s = reader.string(m.value, p("method")) {
            if JobFileValidator.methods.contains(s.uppercased()) {
                method = s.uppercased()
            } else {
                reader.error(.badEnum(s, allowed: JobFileValidator.methods, suggestion: Suggestion.closest(to: s.uppercased(), in: JobFileValidator.methods)), m.value, p("method"))
            }
        }
        let headers = v[.headers].flatMap { reader.stringMap($0.value, p("headers")) } ?? []
        let body = v[.body].flatMap { reader.string($0.value, p("body"), allowEmpty: true) }
        let timeout = v[.timeout].flatMap { reader.duration($0.value, p("timeout"), positive: true) }
        let followRedirects = v[.followRedirects].flatMap { reader.bool($0.value, p("follow_redirects")) } ?? true
        // Secrets come from the environment as ${NAME}; a name that is not set is a mistake now, not at 3 a.m.
        for key in [Key.url, .body] {
            if let pair = v[key], let text = pair.value.scalar?.text {
                checkReferences(text, pair.value, p(key.name))
            }
        }
        if let pairs = v[.headers]?.value.pairs {
            for pair in pairs {
                if let text = pair.value.scalar?.text, let name = pair.key.scalar?.text {
                    checkReferences(text, pair.value, p("headers.\(name)"))
                }
            }
        }
        var expect: [ClosedRange<Int>] = []
        if let e = v[.expectStatus] {
            let items = e.value.items ?? [e.value]
            for (j, item) in items.enumerated() {
                let itemPath = e.value.items == nil ? p("expect_status") : "\(p("expect_status"))[\(j)]"
                if let r = HTTPRequest.statusRange(item.scalar?.text ?? ""), item.scalar != nil {
                    expect.append(r)
                } else {
                    reader.error(.badStatus(item.scalar?.text ?? NodeReader.describe(item)), item, itemPath)
                }
            }
        }
        guard let url else { return nil }
        return HTTPRequest(url: url, method: method, headers: headers, body: body, expectStatus: expect, timeout: timeout,
                           followRedirects: followRedirects)
    }

    private mutating func readEmail(_ node: Node, _ path: @autoclosure () -> String) -> EmailMessage? {
        guard let v = reader.mapping(node, path(), keys: JobFileValidator.emailTable) else { return nil }
        func p(_ k: String) -> String { "\(path()).\(k)" }
        func addresses(_ field: Key, required: Bool) -> [String]? {
            let key = field.name
            guard let pair = v[field] else {
                if required { reader.error(.missing(field), node, p(key)) }
                return required ? nil : []
            }
            let list: [Located<String>]?
            if pair.value.items == nil, pair.value.scalar != nil {
                list = reader.string(pair.value, p(key)).map { [Located(value: $0, location: pair.value.location)] }
            } else {
                list = reader.strings(pair.value, p(key), nonEmpty: required)
            }
            guard let list else { return nil }
            var ok = true
            for (j, a) in list.enumerated() where !EmailMessage.isValidAddress(a.value) {
                reader.error(.badAddress(a.value), at: a.location, pair.value.items == nil ? p(key) : "\(p(key))[\(j)]")
                ok = false
            }
            return ok ? list.map(\.value) : nil
        }
        let to = addresses(.to, required: true)
        let cc = addresses(.cc, required: false) ?? []
        var from: String?
        if let f = v[.from], let s = reader.string(f.value, p("from"), singleLine: true) {
            if EmailMessage.isValidAddress(s) { from = s } else { reader.error(.badAddress(s), f.value, p("from")) }
        }
        let subject = v[.subject].flatMap { reader.string($0.value, p("subject"), allowEmpty: true, singleLine: true) } ?? ""
        let body = v[.body].flatMap { reader.string($0.value, p("body"), allowEmpty: true) } ?? ""
        for key in [Key.subject, .body] {
            if let pair = v[key], let text = pair.value.scalar?.text { checkReferences(text, pair.value, p(key.name), eventsOnly: true) }
        }
        let sendmail = v[.sendmail].flatMap { reader.string($0.value, p("sendmail"), singleLine: true) }
        guard let to else { return nil }
        return EmailMessage(to: to, cc: cc, from: from, subject: subject, body: body, sendmail: sendmail)
    }
}

extension FilePass {
    /// Reports every `${NAME}` in `text` whose variable is not set, or whose value is too
    /// short to be masked.
    /// `eventsOnly`: the field expands only `${JOBRUN_EVENT_…}` (an email's subject and body).
    mutating func checkReferences(_ text: String, _ node: Node, _ path: @autoclosure () -> String, eventsOnly: Bool = false) {
        for name in EnvironmentReference.names(in: text) {
            if name.hasPrefix(EventVariable.prefix) {
                // Filled in when the run is triggered; not a secret.
                if EventVariable(name: name) == nil { reader.error(.unknownEventVariable(name), node, path()) }
                continue
            }
            if eventsOnly { continue }
            guard let value = environment[name] else {
                if linting {
                    reader.warning(.unsetVariableWhenLinting(name), at: node.location, path())
                } else {
                    reader.error(.unsetVariable(name), node, path())
                }
                continue
            }
            if !value.isEmpty && value.count < SecretMask.shortest {
                reader.warning(.shortSecret(name, length: value.count), at: node.location, path())
            }
        }
    }
}
