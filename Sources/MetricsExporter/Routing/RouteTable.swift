import HTTPTypes
import MetricsEndpoint
import PortableRoutes

/// The routes of a running server, grouped by path, and the lookup the request gate uses.
///
/// Routes with the same path shape (the same literals, parameters in the same places) form one group. A request
/// path is matched against the groups, the most specific match winning (a literal beats a parameter at the first
/// place they differ); then the group's route for the method answers, or the group's methods go in a 405's `Allow`.
struct RouteTable: Sendable {
    /// The routes of one path shape.
    struct Group: Sendable {
        let pattern: PathPattern
        /// Indices into ``RouteTable/routes``.
        let routeIndices: [Int]
        /// The `Allow` header value for a 405.
        let allow: String
        /// The lowest access level among the group's routes: what a client must hold to learn its methods (405).
        let lowestAccess: AccessLevel
    }

    /// The result of a lookup.
    enum Match {
        /// The path matches no route.
        case notFound
        /// The path matches group `group`, whose routes do not answer the method.
        case methodNotAllowed(group: Int)
        /// Route `route` of group `group` answers; its parameters still percent-encoded.
        case found(route: Int, group: Int, parameters: [(name: String, raw: ArraySlice<UInt8>)])
    }

    let routes: [Route]
    let groups: [Group]
    /// For each route, its group.
    let groupOfRoute: [Int]
    private let literalGroups: [String: Int]
    private let patternGroups: [Int]

    /// The standard routes, then `custom` ones; a custom route with a standard route's path shape replaces that
    /// standard route. Throws ``/MetricsEndpoint/MetricsServerError/Code/invalidRoute`` for a malformed path, an empty
    /// method set, a bad body limit, or two routes that claim the same path and method.
    init(standard: [Route], custom: [Route]) throws(MetricsServerError) {
        var patterns: [PathPattern] = []
        for route in custom {
            do {
                patterns.append(
                    try PortableRoute.validated(methods: route.methods, path: route.path, bodyLimit: route.bodyLimit)
                )
            } catch {
                throw MetricsServerError(.invalidRoute, error.description)
            }
        }
        let customShapes = Set(patterns.map(\.shape))
        var routes: [Route] = []
        var routePatterns: [PathPattern] = []
        for route in standard {
            let pattern: PathPattern
            do {
                pattern = try PathPattern(route.path)
            } catch {
                throw MetricsServerError(.invalidRoute, error.description)
            }
            if customShapes.contains(pattern.shape) { continue }
            routes.append(route)
            routePatterns.append(pattern)
        }
        routes += custom
        routePatterns += patterns

        var groups: [Group] = []
        var groupOfRoute = [Int](repeating: 0, count: routes.count)
        var groupOfShape: [[PathPattern.Segment]: Int] = [:]
        var members: [[Int]] = []
        for (index, pattern) in routePatterns.enumerated() {
            if let group = groupOfShape[pattern.shape] {
                for other in members[group]
                where !routes[other].effectiveMethods.isDisjoint(with: routes[index].methods) {
                    throw MetricsServerError(
                        .invalidRoute,
                        "routes '\(routes[other].path)' and '\(routes[index].path)' both answer the same method"
                    )
                }
                members[group].append(index)
                groupOfRoute[index] = group
            } else {
                groupOfShape[pattern.shape] = members.count
                groupOfRoute[index] = members.count
                members.append([index])
            }
        }
        for indices in members {
            let methods = indices.reduce(into: Set<HTTPRequest.Method>()) { $0.formUnion(routes[$1].effectiveMethods) }
            groups.append(
                Group(
                    pattern: routePatterns[indices[0]],
                    routeIndices: indices,
                    allow: Self.allowHeader(methods),
                    lowestAccess: indices.map { routes[$0].access }.min() ?? .public
                )
            )
        }
        self.routes = routes
        self.groups = groups
        self.groupOfRoute = groupOfRoute
        var literal: [String: Int] = [:]
        var patterned: [Int] = []
        for (index, group) in groups.enumerated() {
            if group.pattern.parameterNames.isEmpty {
                literal[group.pattern.description] = index
            } else {
                patterned.append(index)
            }
        }
        self.literalGroups = literal
        self.patternGroups = patterned
    }

    /// Finds the route for a method and a request path (percent-encoded, without the query string), given as
    /// text (for the literal paths, a dictionary lookup) and as bytes (for the patterns).
    func match(method: HTTPRequest.Method, path text: String, bytes path: UnsafeBufferPointer<UInt8>) -> Match {
        var best: (group: Int, parameters: [(name: String, raw: ArraySlice<UInt8>)])?
        if let group = self.literalGroups[text] {
            best = (group, [])
        } else {
            for group in self.patternGroups {
                guard let parameters = self.groups[group].pattern.match(path) else { continue }
                if let current = best,
                    !self.groups[group].pattern.isMoreSpecific(than: self.groups[current.group].pattern)
                {
                    continue
                }
                best = (group, parameters)
            }
        }
        guard let (group, parameters) = best else { return .notFound }
        let indices = self.groups[group].routeIndices
        if let route = indices.first(where: { self.routes[$0].methods.contains(method) })
            ?? (method == .head ? indices.first(where: { self.routes[$0].methods.contains(.get) }) : nil)
        {
            return .found(route: route, group: group, parameters: parameters)
        }
        return .methodNotAllowed(group: group)
    }
    private static func allowHeader(_ methods: Set<HTTPRequest.Method>) -> String {
        GateRefusal.allowHeader(methods)
    }
}
