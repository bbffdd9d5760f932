import Synchronization

/// The brands, strings (products, issuers) and co-badged network lists that card records point at, interned
/// for the life of the process: every record is then a plain value (``CardRecord``, indices only), and a
/// result that carries one is copied without a retain, as the request path copies it several times.
///
/// Append-only and deduplicated by content: reloading a file adds nothing it already holds, so the registry
/// grows only by the distinct names ever loaded (a restart clears it). A reload writes entries before the
/// directory that points at them is published, and entries never move, so readers need no lock.
@usableFromInline final class CardDataRegistry: Sendable {
    @usableFromInline static let shared = CardDataRegistry()

    @usableFromInline let brands = AppendOnlyStore<Brand>()
    @usableFromInline let strings = AppendOnlyStore<String>()
    /// Each list's brand indices, and their names joined with `;` (the files' and the wire's form).
    let networkLists = AppendOnlyStore<[UInt16]>()
    @usableFromInline let networkTexts = AppendOnlyStore<String>()
    /// The brands' names again as UTF-8 at the same indices, in memory that never moves and is never freed
    /// (like the registry): the wire writer copies them with no String retained and released and no UTF-8
    /// view asked for, about 60 instructions a text in every answer.
    @usableFromInline let brandNamesUTF8 = AppendOnlyStore<UnsafeBufferPointer<UInt8>>()
    /// The cards' text sets (legacy brand, product, issuer, networks), each with its texts as one block of
    /// UTF-8 (the layout of ``CardText``), by position; position 0 is the set with none.
    @usableFromInline let textSets = TextSetArena()

    /// A brand's whole definition (a ``Brand`` equals another of its name).
    private struct BrandDefinition: Hashable {
        var name: String
        var securityCodeName: String
        var securityCodeLength: Int
        var securityCodeLocation: SecurityCodeLocation
        var luhn: LuhnRule
        var validLengths: PANLengths
        var isLegacy: Bool

        init(_ brand: Brand) {
            name = brand.name
            securityCodeName = brand.securityCodeName
            securityCodeLength = brand.securityCodeLength
            securityCodeLocation = brand.securityCodeLocation
            luhn = brand.luhn
            validLengths = brand.validLengths
            isLegacy = brand.isLegacy
        }
    }

    private struct Index {
        var brands: [BrandDefinition: UInt16] = [:]
        var strings: [String: UInt32] = [:]
        var networkLists: [[UInt16]: UInt32] = [:]
        var textSets: [CardTextSet: UInt32] = [:]
    }
    private let index = Mutex(Index())

    private init() {
        // List 0 is the empty list: a card that is not co-badged.
        networkLists.append([])
        networkTexts.append("")
        // Position 0 is the empty set: a card with no texts.
        let empty = textSets.append(.empty, block: [])
        precondition(empty == 0, "the empty text set at \(empty)")
        index.withLock { $0.textSets[.empty] = empty }
        // The brands checks single out come first, at the indices below.
        for (brand, index) in [
            (Brand.visa, Self.visaIndex), (.mastercard, Self.mastercardIndex), (.maestro, Self.maestroIndex),
        ] {
            let interned = intern(brand)
            precondition(interned == index, "\(brand.name) interned at \(interned), not \(index)")
        }
    }

    /// The built-in brands that checks single out, by index: a record's brand is compared as one integer
    /// (a brands file cannot redefine a built-in brand, so these indices are theirs alone). Constants, so
    /// that a comparison costs no lazy global's once-check (three of them cost the 3-D Secure check about
    /// 30 instructions a request).
    @usableFromInline static let visaIndex: UInt16 = 0
    @usableFromInline static let mastercardIndex: UInt16 = 1
    @usableFromInline static let maestroIndex: UInt16 = 2

    /// The index of `brand`, the same for an identical definition (name, code, lengths, Luhn rule, status).
    func intern(_ brand: Brand) -> UInt16 {
        index.withLock { index in
            let definition = BrandDefinition(brand)
            if let known = index.brands[definition] { return known }
            let next = UInt16(brands.count)
            brands.append(brand)
            brandNamesUTF8.append(Self.permanentUTF8(brand.name))
            index.brands[definition] = next
            return next
        }
    }

    func intern(_ text: String) -> UInt32 {
        index.withLock { index in
            if let known = index.strings[text] { return known }
            let next = UInt32(strings.count)
            strings.append(text)
            index.strings[text] = next
            return next
        }
    }

    func intern(networks: [UInt16]) -> UInt32 {
        guard !networks.isEmpty else { return 0 }
        return index.withLock { index in
            if let known = index.networkLists[networks] { return known }
            let next = UInt32(networkLists.count)
            networkLists.append(networks)
            let text = networks.map { brands[Int($0)].name }.joined(separator: ";")
            networkTexts.append(text)
            index.networkLists[networks] = next
            return next
        }
    }
    /// The position of a text set, its block made when the set is new.
    func intern(_ texts: CardTextSet) -> UInt32 {
        index.withLock { index in
            if let known = index.textSets[texts] { return known }
            var block: [UInt8] = []
            func add(_ kind: CardText, _ text: String) {
                let utf8 = Array(text.utf8)
                // Files bound them (200 bytes of product or issuer, 16 networks of up to 32 letters).
                precondition(utf8.count <= Int(UInt16.max), "a card text longer than a field can carry")
                block += [
                    kind.rawValue, UInt8(truncatingIfNeeded: utf8.count >> 8), UInt8(truncatingIfNeeded: utf8.count),
                ]
                block += utf8
            }
            if texts.legacyBrand != CardTextSet.none16 { add(.legacyBrand, brands[Int(texts.legacyBrand)].name) }
            if texts.product != CardTextSet.none32 { add(.product, strings[Int(texts.product)]) }
            if texts.issuer != CardTextSet.none32 { add(.issuer, strings[Int(texts.issuer)]) }
            if texts.networks != 0 { add(.networks, networkTexts[Int(texts.networks)]) }
            let position = textSets.append(texts, block: block)
            index.textSets[texts] = position
            return position
        }
    }

    /// The position of the text set at `texts` with `legacyBrand` added (a live range inside a legacy one).
    func intern(_ texts: UInt32, legacyBrand: UInt16) -> UInt32 {
        var set = textSets.set(at: texts)
        set.legacyBrand = legacyBrand
        return intern(set)
    }
}

extension CardDataRegistry {
    /// A copy of `text`'s UTF-8 that lives as long as the process (the registry only grows).
    static func permanentUTF8(_ text: String) -> UnsafeBufferPointer<UInt8> {
        let count = text.utf8.count
        let memory = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, count))
        _ = memory.initialize(from: text.utf8)
        return UnsafeBufferPointer(rebasing: memory[0..<count])
    }
}

/// Card text sets one after another in chunks of 1 MiB that never move nor free: a set's position (its
/// chunk << 20 | its offset) reads the same entry forever, from any thread, without a lock, in two loads
/// and with no table beside it (a table of block pointers, 16 bytes a set, doubled the answers' last-level
/// cache misses with 46,126 sets: scripts/profile-daemon with CARDCHECK_PROFILE_CACHE). An entry: its
/// block's length (2 bytes, little-endian), the block, then the set's indices (14 bytes, read only by the
/// texts' getters). An answer reads the first two, which start a new cache line where they would
/// otherwise straddle two and fit in one. Appends are serialised by ``CardDataRegistry``'s lock, and made
/// before any record that names them is published.
@usableFromInline final class TextSetArena: @unchecked Sendable {
    @inlinable static var chunkShift: UInt32 { 20 }
    static var chunkSize: Int { 1 << Int(chunkShift) }
    static var maximumChunks: Int { 1 << (32 - Int(chunkShift)) }
    static var lineSize: Int { 64 }
    static var indicesSize: Int { 14 }

    @usableFromInline let chunks: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private var chunkCount = 0
    private var used = 0  // in the last chunk

    init() {
        chunks = .allocate(capacity: Self.maximumChunks)
        chunks.initialize(repeating: nil, count: Self.maximumChunks)
    }

    /// Appends `set` and its block; returns its position.
    func append(_ set: CardTextSet, block: [UInt8]) -> UInt32 {
        let read = 2 + block.count  // what an answer reads
        let size = read + Self.indicesSize
        precondition(size + Self.lineSize <= Self.chunkSize, "a text set larger than a chunk")
        var offset = used
        if read <= Self.lineSize && offset % Self.lineSize + read > Self.lineSize {
            offset += Self.lineSize - offset % Self.lineSize
        }
        if chunkCount == 0 || offset + size > Self.chunkSize {
            precondition(chunkCount < Self.maximumChunks, "card data registry full")
            chunks[chunkCount] = .allocate(byteCount: Self.chunkSize, alignment: Self.lineSize)
            chunkCount += 1
            offset = 0
        }
        let position = UInt32((chunkCount - 1) << Int(Self.chunkShift) | offset)
        let entry = chunks[chunkCount - 1]! + offset
        entry.storeBytes(of: UInt16(block.count).littleEndian, toByteOffset: 0, as: UInt16.self)
        block.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress { (entry + 2).copyMemory(from: base, byteCount: bytes.count) }
        }
        let indices = entry + read
        indices.storeBytes(of: set.legacyBrand.littleEndian, toByteOffset: 0, as: UInt16.self)
        indices.storeBytes(of: set.product.littleEndian, toByteOffset: 2, as: UInt32.self)
        indices.storeBytes(of: set.issuer.littleEndian, toByteOffset: 6, as: UInt32.self)
        indices.storeBytes(of: set.networks.littleEndian, toByteOffset: 10, as: UInt32.self)
        used = offset + size
        return position
    }

    @inlinable @inline(__always) func entry(at position: UInt32) -> UnsafeRawPointer {
        UnsafeRawPointer(chunks[Int(position >> Self.chunkShift)].unsafelyUnwrapped)
            + Int(position & (1 << Self.chunkShift - 1))
    }

    /// The block of the set at `position`.
    @inlinable @inline(__always) func block(at position: UInt32) -> UnsafeBufferPointer<UInt8> {
        let entry = entry(at: position)
        let count = Int(UInt16(littleEndian: entry.loadUnaligned(as: UInt16.self)))
        return UnsafeBufferPointer(start: (entry + 2).assumingMemoryBound(to: UInt8.self), count: count)
    }

    func set(at position: UInt32) -> CardTextSet {
        let block = block(at: position)
        let indices = UnsafeRawPointer(block.baseAddress!) + block.count
        return CardTextSet(
            legacyBrand: UInt16(littleEndian: indices.loadUnaligned(fromByteOffset: 0, as: UInt16.self)),
            product: UInt32(littleEndian: indices.loadUnaligned(fromByteOffset: 2, as: UInt32.self)),
            issuer: UInt32(littleEndian: indices.loadUnaligned(fromByteOffset: 6, as: UInt32.self)),
            networks: UInt32(littleEndian: indices.loadUnaligned(fromByteOffset: 10, as: UInt32.self))
        )
    }
}

/// Elements in chunks that never move: an index once handed out reads the same element forever, from any
/// thread, without a lock. Appends are serialised by the caller (``CardDataRegistry``'s lock).
@usableFromInline final class AppendOnlyStore<Element>: @unchecked Sendable {
    // Inlinable, so that a read folds them to constants: otherwise each element read calls out for the mask
    // (scripts/profile-daemon counted the call on every answer, for the brand's name).
    @inlinable static var chunkShift: Int { 12 }
    @inlinable static var chunkMask: Int { (1 << chunkShift) - 1 }
    static var maximumChunks: Int { 1 << 14 }  // 67,108,864 elements

    @usableFromInline let chunks: UnsafeMutablePointer<UnsafeMutablePointer<Element>?>
    private let published = Atomic<Int>(0)

    init() {
        chunks = .allocate(capacity: Self.maximumChunks)
        chunks.initialize(repeating: nil, count: Self.maximumChunks)
    }

    var count: Int { published.load(ordering: .acquiring) }

    func append(_ element: Element) {
        let index = published.load(ordering: .relaxed)
        let chunk = index >> Self.chunkShift
        precondition(chunk < Self.maximumChunks, "card data registry full")
        if chunks[chunk] == nil { chunks[chunk] = .allocate(capacity: 1 << Self.chunkShift) }
        (chunks[chunk]! + (index & Self.chunkMask)).initialize(to: element)
        published.store(index + 1, ordering: .releasing)
    }

    @inlinable subscript(index: Int) -> Element {
        chunks[index >> Self.chunkShift].unsafelyUnwrapped[index & Self.chunkMask]
    }
}
