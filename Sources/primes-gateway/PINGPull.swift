import Adapters
import PrimesModel

/// `pull ping`: a PING retrieval, every page, as canonical records.
///
/// The credentials file holds `token` and `partnerId`, and optionally `shippingProcessId`, `interopId`,
/// `caCertificate`, `clientCertificate` and `clientKey` (paths, for a private CA and mutual TLS), and
/// `sinceParameter`: the `QueryParameters` key `--since` fills (default `ModifiedSince`; PING's query
/// parameters belong to each shipping process).
enum PINGPull {
    static let source = PullSource(
        name: "ping",
        summary: "UNHCR proGres v4 through PING, following paging to the end"
    ) { request in
        let credentials = request.credentials
        var configuration = PINGConfiguration(
            baseURL: request.url,
            token: try credentials.required("token"),
            partnerId: try credentials.required("partnerId"),
            shippingProcessId: credentials["shippingProcessId"] ?? "",
            interopId: credentials["interopId"] ?? ""
        )
        configuration.caCertificatePath = credentials["caCertificate"]
        configuration.clientCertificatePath = credentials["clientCertificate"]
        configuration.clientKeyPath = credentials["clientKey"]
        if let size = credentials["pageLimit"].flatMap(Int.init) { configuration.maximumPages = size }

        var query: [String: JSONValue] = [:]
        if let since = request.since { query[credentials["sinceParameter"] ?? "ModifiedSince"] = .string(since) }
        let mapping = try request.context.mapping(for: PINGFormat.format)
        return PINGClient(configuration: configuration).retrieval(
            queryParameters: .object(query), mapping: mapping, codeLists: request.context.codeLists,
            receivedAt: request.context.receivedAt)
    }
}
