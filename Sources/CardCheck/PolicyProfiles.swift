/// A merchant's decision policy: the daemon's, with the profile's own lines on top.
@frozen public struct PolicyProfile: Sendable, Hashable {
    public var policy: DecisionPolicy {
        didSet { shiftChanges = Self.changes(of: shifted, on: policy) }
    }
    /// Applied on top of `policy` when 3-D Secure shifted liability.
    public var shifted: PolicyOverrides {
        didSet { shiftChanges = Self.changes(of: shifted, on: policy) }
    }
    /// What `shifted` changes in `policy`, kept in step with both: a request whose liability shifted
    /// applies it with two XORs (``DecisionPolicy/applying(_:when:)``), rather than the overrides each time.
    @usableFromInline private(set) var shiftChanges: DecisionPolicy

    public init(policy: DecisionPolicy = .cardNetworkDefaults, shifted: PolicyOverrides = PolicyOverrides()) {
        self.policy = policy
        self.shifted = shifted
        self.shiftChanges = Self.changes(of: shifted, on: policy)
    }

    private static func changes(of shifted: PolicyOverrides, on policy: DecisionPolicy) -> DecisionPolicy {
        DecisionPolicy.changes(from: policy, to: shifted.applied(to: policy))
    }

    /// Reads `REASON = action` and `shifted.REASON = action` lines (`#` comments, blank lines) on top of
    /// this profile. Errors give the 1-based line.
    public func applying(_ text: String) throws(PolicyProfileError) -> PolicyProfile {
        var profile = self
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                $0.trimmingSpaces
            }
            if parts.count == 1 && parts[0].isEmpty { continue }
            guard parts.count == 2, !parts[0].isEmpty else {
                throw PolicyProfileError(line: index + 1, message: "expected `REASON = action`")
            }
            do throws(PolicyError) {
                try profile.set(String(parts[0]), to: String(parts[1]))
            } catch {
                throw PolicyProfileError(line: index + 1, message: error.description)
            }
        }
        return profile
    }

    /// Sets `REASON` or `shifted.REASON` to an action's name: one line of a profile file, and what follows
    /// `policy.` in the daemon's configuration.
    public mutating func set(_ key: String, to actionName: String) throws(PolicyError) {
        guard let action = Action(name: actionName) else { throw .unknownAction(key: key) }
        if key.hasPrefix(PolicyProfile.shiftedPrefix) {
            try shifted.set(action, forReasonNamed: String(key.dropFirst(PolicyProfile.shiftedPrefix.count)))
        } else {
            try policy.set(action, forReasonNamed: key)
        }
    }

    /// The lines that make this profile from `base`: `REASON = action` where the policy differs, then
    /// `shifted.REASON = action` for each override (what `--check-config` prints after `policy.`).
    public func lines(from base: DecisionPolicy) -> [String] {
        Reason.allCases.filter { policy[$0] != base[$0] }.map { "\($0.name) = \(policy[$0].name)" }
            + Reason.allCases.compactMap { reason in
                shifted[reason].map { "\(PolicyProfile.shiftedPrefix)\(reason.name) = \($0.name)" }
            }
    }

    public static let shiftedPrefix = "shifted."
}

/// A profile file's bad line (0: the file as a whole, such as its name).
public struct PolicyProfileError: Error, Hashable, CustomStringConvertible {
    public var file: String?
    public var line: Int
    public var message: String

    public init(file: String? = nil, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        (file.map { "\($0):" } ?? "") + (line > 0 ? "\(line): " : " ") + message
    }
}

/// Named policies, chosen per request by name without allocating: an open-addressing table whose slots
/// hold each name's 32-bit hash beside its index, so that a lookup hashes the name a word at a time, reads
/// one slot (a miss or, nearly always, the one entry whose hash matches) and compares the name's bytes once.
/// Everything lives in memory allocated once at load and only read afterwards (no retain per lookup).
// @unchecked: written once in init, then only read, from any thread.
public final class PolicyProfiles: @unchecked Sendable {
    /// The profiles' names, in order.
    public let names: [String]
    @usableFromInline let profiles: UnsafeMutablePointer<PolicyProfile>
    /// All names' bytes back to back, 8 bytes of padding after them (a word-at-a-time hash may read a
    /// whole last word); name `i` starts at `nameStarts[i]` and ends at `nameStarts[i + 1]`.
    @usableFromInline let nameBytes: UnsafeMutablePointer<UInt8>
    @usableFromInline let nameStarts: UnsafeMutablePointer<Int>
    /// `hash << 32 | index + 1`; 0 when empty. At most half full.
    @usableFromInline let slots: UnsafeMutablePointer<UInt64>
    @usableFromInline let mask: Int

    /// The longest name, and what one may hold: letters, digits, `_`, `-` and `.` (a file's name less `.conf`).
    public static let maximumNameLength = 64

    public static func isValidName(_ name: some StringProtocol) -> Bool {
        (1...maximumNameLength).contains(name.utf8.count)
            && name.utf8.allSatisfy {
                $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
            }
    }

    /// `profiles` by name (names must be valid: the caller, which reads them from file names, checks).
    public init(_ byName: [String: PolicyProfile]) {
        names = byName.keys.sorted()
        profiles = .allocate(capacity: max(1, names.count))
        var bytes: [UInt8] = []
        var starts = [0]
        for (index, name) in names.enumerated() {
            (profiles + index).initialize(to: byName[name]!)
            bytes += name.utf8
            starts.append(bytes.count)
        }
        nameBytes = .allocate(capacity: bytes.count + 8)
        nameBytes.initialize(repeating: 0, count: bytes.count + 8)
        nameBytes.initialize(from: bytes, count: bytes.count)
        nameStarts = .allocate(capacity: starts.count)
        nameStarts.initialize(from: starts, count: starts.count)
        var size = 8
        while size < names.count * 2 { size *= 2 }
        mask = size - 1
        slots = .allocate(capacity: size)
        slots.initialize(repeating: 0, count: size)
        for index in names.indices {
            let hash = PolicyProfiles.hash(
                UnsafeBufferPointer(start: nameBytes + starts[index], count: starts[index + 1] - starts[index])
            )
            var slot = Int(hash) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt64(hash) << 32 | UInt64(index + 1)
        }
    }

    deinit {
        profiles.deinitialize(count: names.count)
        profiles.deallocate()
        nameBytes.deallocate()
        nameStarts.deallocate()
        slots.deallocate()
    }

    public var count: Int { names.count }

    /// The profile named by `name`'s bytes; `nil` when there is none.
    @inlinable public func profile(named name: UnsafeBufferPointer<UInt8>) -> PolicyProfile? {
        let hash = PolicyProfiles.hash(name)
        var slot = Int(hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return nil }
            if UInt32(truncatingIfNeeded: entry >> 32) == hash {
                let index = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                let start = nameStarts[index]
                if nameStarts[index + 1] - start == name.count
                    && (name.isEmpty || memcmpBytes(nameBytes + start, name.baseAddress!, name.count))
                {
                    return profiles[index]
                }
            }
            slot = (slot + 1) & mask
        }
    }

    public func profile(named name: String) -> PolicyProfile? {
        var copy = name
        return copy.withUTF8 { profile(named: $0) }
    }

    /// A 32-bit hash of the bytes, eight at a time (a multiply and a shift per word; names are short).
    @inlinable static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var hash = UInt64(truncatingIfNeeded: bytes.count) &* 0x9E37_79B9_7F4A_7C15
        guard let base = bytes.baseAddress else { return UInt32(truncatingIfNeeded: hash >> 32) }
        var offset = 0
        while offset + 8 <= bytes.count {
            let word = UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self)
            hash = (hash ^ word) &* 0xFF51_AFD7_ED55_8CCD
            hash ^= hash >> 29
            offset += 8
        }
        if offset < bytes.count {
            var word: UInt64 = 0
            for index in offset..<bytes.count { word |= UInt64(base[index]) << UInt64(8 * (index - offset)) }
            hash = (hash ^ word) &* 0xFF51_AFD7_ED55_8CCD
            hash ^= hash >> 29
        }
        return UInt32(truncatingIfNeeded: hash >> 32)
    }
}

/// Whether `count` bytes at `a` and `b` are equal.
@inlinable func memcmpBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    for index in 0..<count where a[index] != b[index] { return false }
    return true
}

extension Substring {
    /// Without leading and trailing spaces and tabs (the engine has no Foundation).
    var trimmingSpaces: Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" || first == "\r" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\r" { text = text.dropLast() }
        return text
    }
}

extension PolicyProfiles {
    /// The file name profiles are read from: `NAME.conf`.
    public static let fileSuffix = ".conf"

    /// Compiles profile files (their names as in the directory, and their text), each on top of `base` (the
    /// daemon's policy): what the daemon's `profiles =` and the command's `--profiles` load. Files whose
    /// names do not end in `.conf`, or start with `.`, are not profiles and are skipped.
    public static func compile(
        files: [(name: String, text: String)],
        base: PolicyProfile
    ) throws(PolicyProfileError) -> PolicyProfiles {
        var profiles: [String: PolicyProfile] = [:]
        profiles.reserveCapacity(files.count)
        for file in files where file.name.hasSuffix(fileSuffix) && !file.name.hasPrefix(".") {
            let name = String(file.name.dropLast(fileSuffix.count))
            guard isValidName(name) else {
                throw PolicyProfileError(
                    file: file.name,
                    line: 0,
                    message: "a profile's name (its file's, less .conf) is 1 to \(maximumNameLength) letters, digits, "
                        + "'_', '-' or '.'"
                )
            }
            do throws(PolicyProfileError) {
                profiles[name] = try base.applying(file.text)
            } catch {
                throw PolicyProfileError(file: file.name, line: error.line, message: error.message)
            }
        }
        return PolicyProfiles(profiles)
    }
}
