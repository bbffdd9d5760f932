import CardCheckWire
import Foundation
import Logging

/// The credentials of the process at the other end of a Unix socket, as `SO_PEERCRED` reports them.
/// Swift on Linux does not import `struct ucred`, so its 12-byte layout is declared here.
struct PeerCredentials: Sendable, Hashable, CustomStringConvertible {
    var pid: Int32
    var uid: UInt32
    var gid: UInt32

    var description: String { "pid \(pid) uid \(uid) gid \(gid)" }

    /// The peer as log fields of their own (`log_format = json` indexes them).
    var metadata: Logger.Metadata {
        ["peer_pid": "\(pid)", "peer_uid": "\(uid)", "peer_gid": "\(gid)"]
    }
}

/// Who may connect: users and groups from the configuration, resolved to ids once at start-up (and on
/// reload), so that accepting a connection needs no user-database lookup.
struct AccessControl: Sendable, Equatable {
    var uids: Set<UInt32>
    var gids: Set<UInt32>

    /// With no users and no groups configured: only the daemon's own user and root when `emptyMeansSelf`
    /// (who may connect), nobody otherwise (who may generate codes). `setting` names the configuration
    /// keys in errors.
    init(
        users: [String],
        groups: [String],
        emptyMeansSelf: Bool = true,
        setting: (users: String, groups: String) = ("allow_users", "allow_groups")
    ) throws(ConfigurationError) {
        uids = []
        gids = []
        if users.isEmpty && groups.isEmpty {
            if emptyMeansSelf { uids = [getuid(), 0] }
            return
        }
        for user in users {
            if let uid = UInt32(user) {
                uids.insert(uid)
            } else if let entry = getpwnam(user) {
                uids.insert(entry.pointee.pw_uid)
            } else {
                throw ConfigurationError(message: "\(setting.users): no user '\(user)'")
            }
        }
        for group in groups {
            let entry: UnsafeMutablePointer<group>?
            if let gid = UInt32(group) { entry = getgrgid(gid) } else { entry = getgrnam(group) }
            guard let entry else {
                if let gid = UInt32(group) {  // a numeric group without an entry still matches primary gids
                    gids.insert(gid)
                    continue
                }
                throw ConfigurationError(message: "\(setting.groups): no group '\(group)'")
            }
            gids.insert(entry.pointee.gr_gid)
            // Supplementary members: their uids are allowed too.
            var member = entry.pointee.gr_mem
            while let name = member?.pointee {
                if let user = getpwnam(name) { uids.insert(user.pointee.pw_uid) }
                member = member?.advanced(by: 1)
            }
        }
    }

    var isEmpty: Bool { uids.isEmpty && gids.isEmpty }

    func permits(_ peer: PeerCredentials) -> Bool {
        uids.contains(peer.uid) || gids.contains(peer.gid)
    }
}

/// Who may connect and who may do more: worked out from the configuration at start and on reload.
struct PeerAccess: Sendable, Equatable {
    var connect: AccessControl
    var generate: AccessControl
    var generateAuthenticationValues: AccessControl

    init(_ configuration: Configuration) throws(ConfigurationError) {
        connect = try configuration.connectionAccess()
        generate = try configuration.generateAccess()
        generateAuthenticationValues = try configuration.authenticationValueGenerateAccess()
    }

    /// What `peer` may do beyond the common operations.
    func permissions(for peer: PeerCredentials) -> PeerPermissions {
        var permissions: PeerPermissions = []
        if generate.permits(peer) { permissions.insert(.generateSecurityCodes) }
        if generateAuthenticationValues.permits(peer) { permissions.insert(.generateAuthenticationValues) }
        return permissions
    }
}

/// What a connection's peer may do beyond the operations every admitted peer may use. The daemon works
/// it out from the peer's credentials for each batch, so a reload applies to open connections too.
public struct PeerPermissions: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// `CSC_GENERATE`: make card verification values (test-card issuance, sandboxes).
    public static let generateSecurityCodes = PeerPermissions(rawValue: 1 << 0)
    /// `CAVV_GENERATE`: make 3-D Secure authentication values (ACS test harnesses, sandboxes).
    public static let generateAuthenticationValues = PeerPermissions(rawValue: 1 << 1)
}
