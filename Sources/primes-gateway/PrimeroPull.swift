import Adapters
import PrimesModel

/// `pull primero`: every case of a Primero v2 instance (or those updated since `--since`), page by page to the
/// end, as canonical records.
///
/// The credentials file holds `user` and `password` (a native account, HTTP Basic) or `token` (an SSO
/// instance, Bearer), and optionally `caCertificate` (a path, for a server with a private CA).
enum PrimeroPull {
    static let source = PullSource(
        name: "primero",
        summary: "UNICEF Primero v2 cases, following pagination to the end"
    ) { request in
        let file = request.credentials
        let caCertificate = file["caCertificate"]
        let credentials: PrimeroCredentials =
            if let token = file["token"] {
                .bearer(token, caCertificatePath: caCertificate)
            } else {
                .basic(
                    user: try file.required("user"), password: try file.required("password"),
                    caCertificatePath: caCertificate)
            }
        let mapping = try PrimeroMapping.load(request.context)
        let client = PrimeroClient(baseURL: request.url, credentials: credentials, mapping: mapping)
        return PrimeroPullReader(
            pages: PrimeroCasePages(client: client, since: request.since),
            mapping: mapping,
            sourceName: "primero",
            receivedAt: request.context.receivedAt
        )
    }
}
