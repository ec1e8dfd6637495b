import Foundation

/// Reads a kubeconfig file into a ``KubernetesClient/Configuration`` (current or named context: server, CA
/// file or inline data, bearer token or token file, client certificate and key, exec plugin).
///
/// JSON kubeconfigs are read directly. YAML ones (the usual kind) are converted with
/// `kubectl config view --raw -o json`, which also merges a `KUBECONFIG` path list exactly as kubectl does:
/// anyone with a kubeconfig has kubectl, and this avoids a YAML dependency in the leader.
public enum Kubeconfig {
    /// Loads `path` (default: `$KUBECONFIG`, else `~/.kube/config`) and the given or current context.
    public static func load(path: String?, context: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> KubernetesClient.Configuration
    {
        let home = environment["HOME"] ?? NSHomeDirectory()
        let location = path ?? environment["KUBECONFIG"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.kube/config"
        let first = location.split(separator: ":").first.map(String.init) ?? location
        let json: Data
        if location.contains(":") == false, let data = FileManager.default.contents(atPath: location), data.first == UInt8(ascii: "{") {
            json = data
        } else {
            guard location.contains(":") || FileManager.default.fileExists(atPath: location) else {
                throw KubernetesAPIError(.configuration, "no kubeconfig at \(location) and not running in a cluster")
            }
            json = try viewWithKubectl(location, environment: environment)
        }
        return try parse(json: json, context: context, baseDirectory: URL(fileURLWithPath: first).deletingLastPathComponent().path)
    }

    /// Parses kubeconfig JSON. Relative file paths are resolved against `baseDirectory`.
    public static func parse(json: Data, context wanted: String?, baseDirectory: String) throws -> KubernetesClient.Configuration {
        guard let root = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else {
            throw KubernetesAPIError(.configuration, "kubeconfig is not a JSON object")
        }
        func named(_ list: String, _ name: String, _ field: String) throws -> [String: Any] {
            let entries = root[list] as? [[String: Any]] ?? []
            guard let entry = entries.first(where: { $0["name"] as? String == name }), let body = entry[field] as? [String: Any] else {
                throw KubernetesAPIError(.configuration, "kubeconfig has no \(field) named '\(name)'")
            }
            return body
        }
        guard let contextName = wanted ?? (root["current-context"] as? String), !contextName.isEmpty else {
            throw KubernetesAPIError(.configuration, "kubeconfig has no current-context; pass a context name")
        }
        let context = try named("contexts", contextName, "context")
        guard let clusterName = context["cluster"] as? String else {
            throw KubernetesAPIError(.configuration, "context '\(contextName)' names no cluster")
        }
        let cluster = try named("clusters", clusterName, "cluster")
        let user = try (context["user"] as? String).map { try named("users", $0, "user") } ?? [:]
        guard let server = cluster["server"] as? String else {
            throw KubernetesAPIError(.configuration, "cluster '\(clusterName)' has no server")
        }
        func path(_ value: Any?) -> String? {
            guard let p = value as? String, !p.isEmpty else { return nil }
            return p.hasPrefix("/") ? p : baseDirectory + "/" + p
        }
        func data(_ value: Any?) throws -> Data? {
            guard let text = value as? String else { return nil }
            guard let d = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
                throw KubernetesAPIError(.configuration, "kubeconfig: invalid base64 data")
            }
            return d
        }
        var credential = KubernetesClient.Configuration.Credential.none
        if let token = user["token"] as? String, !token.isEmpty {
            credential = .bearerToken(token)
        } else if let file = path(user["tokenFile"]) {
            credential = .tokenFile(file)
        } else if let exec = user["exec"] as? [String: Any], let command = exec["command"] as? String {
            var env: [String: String] = [:]
            for item in exec["env"] as? [[String: Any]] ?? [] {
                if let n = item["name"] as? String, let v = item["value"] as? String { env[n] = v }
            }
            credential = .exec(
                .init(
                    command: command,
                    arguments: exec["args"] as? [String] ?? [],
                    environment: env,
                    apiVersion: exec["apiVersion"] as? String ?? "client.authentication.k8s.io/v1",
                    installHint: exec["installHint"] as? String
                )
            )
        }
        return KubernetesClient.Configuration(
            server: server,
            namespace: (context["namespace"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? "default",
            credential: credential,
            caFile: path(cluster["certificate-authority"]),
            caData: try data(cluster["certificate-authority-data"]),
            clientCertificateFile: path(user["client-certificate"]),
            clientCertificateData: try data(user["client-certificate-data"]),
            clientKeyFile: path(user["client-key"]),
            clientKeyData: try data(user["client-key-data"]),
            insecureSkipTLSVerify: cluster["insecure-skip-tls-verify"] as? Bool ?? false
        )
    }

    private static func viewWithKubectl(_ location: String, environment: [String: String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["kubectl", "config", "view", "--raw", "-o", "json"]
        var env = environment
        env["KUBECONFIG"] = location
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch {
            throw KubernetesAPIError(.configuration, "reading YAML kubeconfig \(location) needs kubectl on PATH: \(error)")
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw KubernetesAPIError(.configuration, "kubectl config view failed: \(String(decoding: errors, as: UTF8.self))")
        }
        return data
    }
}
