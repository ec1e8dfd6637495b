import Foundation

extension KubernetesClient {
    /// Where the API server is, how to trust it and how to authenticate.
    public struct Configuration: Sendable {
        /// How requests authenticate.
        public enum Credential: Sendable {
            /// No Authorization header (client certificates only, or an open test server).
            case none
            /// A fixed bearer token.
            case bearerToken(String)
            /// A token file re-read when it changes (the projected service-account token rotates hourly).
            case tokenFile(String)
            /// A kubeconfig `exec` plugin (e.g. `gke-gcloud-auth-plugin`): run, parse `ExecCredential`, cache.
            case exec(ExecCredentialCommand)
        }

        /// `https://host:port` of the API server, no trailing slash.
        public var server: String
        /// The default namespace for namespaced calls.
        public var namespace: String
        /// How requests authenticate (bearer token, token file, exec plugin, or none). Default `.none`.
        public var credential: Credential
        /// PEM CA bundle to trust, as a file path.
        public var caFile: String?
        /// PEM CA bundle to trust, inline (kubeconfig `certificate-authority-data`, decoded).
        public var caData: Data?
        /// PEM client certificate for mutual TLS, as a file path (kubeconfig `client-certificate`); needs a client key.
        public var clientCertificateFile: String?
        /// PEM client certificate, inline (kubeconfig `client-certificate-data`, decoded).
        public var clientCertificateData: Data?
        /// PEM private key of the client certificate, as a file path (kubeconfig `client-key`).
        public var clientKeyFile: String?
        /// PEM private key of the client certificate, inline (kubeconfig `client-key-data`, decoded).
        public var clientKeyData: Data?
        /// Skip server certificate verification (kubeconfig `insecure-skip-tls-verify`). Default false.
        public var insecureSkipTLSVerify: Bool
        /// Deadline of one non-watch request. Default 30 s.
        public var requestTimeout: Duration
        /// TCP + TLS connect deadline. Default 10 s.
        public var connectTimeout: Duration
        /// Retries of transient failures (429, 5xx, transport) before giving up. Default 5.
        public var maxRetries: Int
        /// First backoff delay; doubled per retry with jitter, capped by ``maxRetryDelay``. Default 0.2 s.
        public var retryBaseDelay: Duration
        /// Longest wait between retries (also caps `Retry-After`). Default 10 s.
        public var maxRetryDelay: Duration
        /// Sent as `User-Agent`.
        public var userAgent: String

        /// Creates a configuration; a trailing `/` on `server` is dropped and a negative `maxRetries` counts as 0.
        /// Most callers use ``inCluster(environment:directory:)``, ``automatic(environment:)`` or ``Kubeconfig`` instead.
        public init(
            server: String,
            namespace: String = "default",
            credential: Credential = .none,
            caFile: String? = nil,
            caData: Data? = nil,
            clientCertificateFile: String? = nil,
            clientCertificateData: Data? = nil,
            clientKeyFile: String? = nil,
            clientKeyData: Data? = nil,
            insecureSkipTLSVerify: Bool = false,
            requestTimeout: Duration = .seconds(30),
            connectTimeout: Duration = .seconds(10),
            maxRetries: Int = 5,
            retryBaseDelay: Duration = .milliseconds(200),
            maxRetryDelay: Duration = .seconds(10),
            userAgent: String = "viz-workflow-kubernetes/1"
        ) {
            self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
            self.namespace = namespace
            self.credential = credential
            self.caFile = caFile
            self.caData = caData
            self.clientCertificateFile = clientCertificateFile
            self.clientCertificateData = clientCertificateData
            self.clientKeyFile = clientKeyFile
            self.clientKeyData = clientKeyData
            self.insecureSkipTLSVerify = insecureSkipTLSVerify
            self.requestTimeout = requestTimeout
            self.connectTimeout = connectTimeout
            self.maxRetries = max(0, maxRetries)
            self.retryBaseDelay = retryBaseDelay
            self.maxRetryDelay = maxRetryDelay
            self.userAgent = userAgent
        }

        /// The standard service-account mount inside a pod.
        public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

        /// In-cluster configuration: `KUBERNETES_SERVICE_HOST`/`_PORT`, and the token, CA and namespace
        /// files of the mounted service account (`directory`, overridable for tests).
        public static func inCluster(
            environment: [String: String] = ProcessInfo.processInfo.environment,
            directory: String = serviceAccountDirectory
        ) throws -> Configuration {
            guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty else {
                throw KubernetesAPIError(.configuration, "not in a cluster: KUBERNETES_SERVICE_HOST is not set")
            }
            let port = environment["KUBERNETES_SERVICE_PORT"] ?? "443"
            let tokenPath = directory + "/token"
            guard FileManager.default.isReadableFile(atPath: tokenPath) else {
                throw KubernetesAPIError(.configuration, "no service-account token at \(tokenPath) (is automountServiceAccountToken false?)")
            }
            let namespace = (try? String(contentsOfFile: directory + "/namespace", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let hostPart = host.contains(":") ? "[\(host)]" : host  // IPv6 service address
            return Configuration(
                server: "https://\(hostPart):\(port)",
                namespace: namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default",
                credential: .tokenFile(tokenPath),
                caFile: directory + "/ca.crt"
            )
        }

        /// In-cluster when running in a pod (``inCluster(environment:directory:)``), otherwise the kubeconfig
        /// named by `KUBECONFIG` or `~/.kube/config`, current context.
        public static func automatic(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Configuration {
            if environment["KUBERNETES_SERVICE_HOST"] != nil,
                FileManager.default.isReadableFile(atPath: serviceAccountDirectory + "/token")
            {
                return try inCluster(environment: environment)
            }
            return try Kubeconfig.load(path: nil, context: nil, environment: environment)
        }
    }

    /// A kubeconfig `users[].user.exec` entry.
    public struct ExecCredentialCommand: Sendable, Hashable {
        /// The plugin executable, looked up on `PATH` (kubeconfig `command`).
        public var command: String
        /// Arguments passed to the plugin (kubeconfig `args`).
        public var arguments: [String]
        /// Variables added to the client's own environment for the plugin (kubeconfig `env`).
        public var environment: [String: String]
        /// `client.authentication.k8s.io/v1` or `v1beta1`.
        public var apiVersion: String
        /// Shown when the command is missing (kubeconfig `installHint`).
        public var installHint: String?

        /// Describes a plugin invocation; `apiVersion` defaults to `client.authentication.k8s.io/v1`.
        public init(
            command: String, arguments: [String] = [], environment: [String: String] = [:], apiVersion: String = "client.authentication.k8s.io/v1",
            installHint: String? = nil
        ) {
            self.command = command
            self.arguments = arguments
            self.environment = environment
            self.apiVersion = apiVersion
            self.installHint = installHint
        }
    }
}
