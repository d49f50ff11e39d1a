using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Tests.Core;

/// <summary>
/// The architecture of docs/design.md ("Dependencies point one way", "How a request flows"), checked on the built
/// assemblies and on Core's source, so that breaking it fails the build's tests rather than waiting for a review.
/// </summary>
public sealed partial class ArchitectureTests
{
    private static readonly Assembly CoreAssembly = typeof(RegistryDbContext).Assembly;
    private static readonly Assembly WebAssembly = typeof(Program).Assembly;

    private static readonly string CoreSource =
        Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "ModelRegistry.Core"));

    /// <summary>
    /// The ASP.NET Core assemblies Core may use: none of them is the web stack. The user store is an
    /// <c>IdentityDbContext</c> (docs/design.md, "Solution layout") and the data-protection key ring lives in the
    /// database so several instances share it (decision 8).
    /// </summary>
    private static readonly HashSet<string> CoreMayReference =
    [
        "Microsoft.AspNetCore.Identity",
        "Microsoft.AspNetCore.Identity.EntityFrameworkCore",
        "Microsoft.AspNetCore.DataProtection",
        "Microsoft.AspNetCore.DataProtection.Abstractions",
        "Microsoft.AspNetCore.DataProtection.EntityFrameworkCore",
    ];

    /// <summary>
    /// Web types that may take the DbContext: infrastructure around the requests, never a page, component or endpoint.
    /// Each names why.
    /// </summary>
    private static readonly Dictionary<string, string> WebMayTouchTheDatabase = new()
    {
        ["ModelRegistry.Web.Security.ApiTokenAuthenticationHandler"] =
            "authentication: finds the bearer token by its hash, and its user's lock-out, before any Core service runs",
        ["ModelRegistry.Web.Security.RoleRefreshTransformation"] =
            "authentication: reads the signed-in user's roles from the database on each request (roles now, not from the cookie)",
        ["ModelRegistry.Web.Hosting.HealthCheckRegistration"] = "start-up: the /healthz database check (AddDbContextCheck's test query)",
    };

    /// <summary>
    /// Public Core methods that change rows without an audit event, each with the reason. Everything else that saves
    /// or opens a write transaction must record an audit event (AuditTrail.RecordAsync) or go through an audited path
    /// (VersionWriter.ChangeAsync, another service's …RecordAsync).
    /// </summary>
    private static readonly Dictionary<string, string> UnauditedWrites = new()
    {
        ["Security/TokenService.cs:AuthenticateAsync"] = "bookkeeping: a token's last-used time, at most once per resolution, on every API call",
        ["Notifications/NotificationService.cs:MarkReadAsync"] = "the actor's own bell: a read mark changes nothing anyone else sees",
        ["Versions/DigestBackfill.cs:FillMissingAsync"] = "start-up: computes digests missing from versions made before digests existed; no actor, no change of content",
        ["Webhooks/WebhookDispatcher.cs:SendDueAsync"] = "delivery bookkeeping (attempts, status) of events already audited",
        ["Webhooks/WebhookService.cs:SendTestAsync"] = "queues a ping delivery; the delivery log records it, no registry state changes",
        ["Webhooks/WebhookService.cs:RedeliverAsync"] = "re-queues a delivery of an event already audited; the delivery log records it",
        ["Webhooks/AuditHeadPublisher.cs:PublishAsync"] = "queues audit.head deliveries: publishing the chain's head must not itself extend the chain",
        ["Operations/DatabaseMigrator.cs:MigrateToPostgresAsync"] = "copies the rows and the audit chain verbatim into a new database; an event would break the copy's verification",
        // A resumable upload's row is staging bookkeeping, like a PUT's body in flight (which is not audited either): the file it
        // becomes is committed through ArtifactService.CommitAsync, in VersionWriter's transaction, with artifact.uploaded.
        ["Artifacts/Uploads/ResumableUploadService.cs:CreateAsync"] = "opens an upload session (staging); an empty file is committed, and audited, through ArtifactService",
        ["Artifacts/Uploads/ResumableUploadService.cs:AppendAsync"] = "saves a session's offset and hash state; its last byte commits the file through ArtifactService (audited)",
        ["Artifacts/Uploads/ResumableUploadService.cs:TerminateAsync"] = "ends a session and drops its staged bytes; no file or version changes",
        ["Artifacts/Uploads/ResumableUploadService.cs:SweepExpiredAsync"] = "drops expired sessions and their staged bytes; no file or version changes",
        ["Artifacts/Uploads/ResumableUploadService.cs:RecoverAsync"] = "start-up: clears leases a killed process held; no file or version changes",
        ["Artifacts/Uploads/ResumableUploadService.cs:TakeAsync"] = "a request's lease on a session",
        ["Artifacts/Uploads/ResumableUploadService.cs:SaveAsync"] = "a session's checkpoint (offset, hash state, store state)",
        ["Artifacts/Uploads/ResumableUploadService.cs:SaveExpectedAsync"] = "a session's expected SHA-256 (X-Checksum-Sha256 on a PATCH), saved before its bytes; the commit is audited",
        ["Artifacts/Uploads/ResumableUploadService.cs:SaveStoreStateAsync"] = "a session's store state (S3: assembling began)",
        ["Artifacts/Uploads/ResumableUploadService.cs:DisposeAsync"] = "releases a request's lease on a session",
    };

    [Fact]
    public void Core_references_neither_the_aspnet_core_web_stack_nor_MudBlazor()
    {
        var forbidden = CoreAssembly.GetReferencedAssemblies()
            .Select(a => a.Name!)
            .Where(n => (n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) && !CoreMayReference.Contains(n))
                        || n.StartsWith("MudBlazor", StringComparison.Ordinal))
            .ToList();

        Assert.True(forbidden.Count == 0, $"ModelRegistry.Core references {string.Join(", ", forbidden)}; Core must not depend on the web.");
    }

    [Fact]
    public void No_page_component_or_endpoint_in_Web_takes_the_DbContext()
    {
        var offenders = new List<string>();
        foreach (var type in WebAssembly.GetTypes())
        {
            var owner = OwningType(type);
            if (WebMayTouchTheDatabase.ContainsKey(owner.FullName!))
            {
                continue;
            }

            const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (var constructor in type.GetConstructors(all))
            {
                offenders.AddRange(constructor.GetParameters().Where(p => IsDatabase(p.ParameterType))
                    .Select(p => $"{owner.FullName}: constructor parameter {p.Name}"));
            }

            // Minimal API handlers are lambdas: their parameters (what the endpoint injects) are those of compiler-made methods.
            foreach (var method in type.GetMethods(all))
            {
                offenders.AddRange(method.GetParameters().Where(p => IsDatabase(p.ParameterType))
                    .Select(p => $"{owner.FullName}: {method.Name} parameter {p.Name}"));
            }

            foreach (var property in type.GetProperties(all))
            {
                if (IsDatabase(property.PropertyType) && property.IsDefined(typeof(InjectAttribute)))
                {
                    offenders.Add($"{owner.FullName}: [Inject] {property.Name}");
                }
            }
        }

        Assert.True(offenders.Count == 0,
            "Pages, components and endpoints call Core services, never the DbContext:\n" + string.Join("\n", offenders.Distinct()));
    }

    [Fact]
    public void The_web_allow_list_names_only_types_that_exist()
    {
        foreach (var name in WebMayTouchTheDatabase.Keys)
        {
            Assert.NotNull(WebAssembly.GetType(name));
        }
    }

    [Fact]
    public void Every_public_Core_method_that_writes_records_an_audit_event()
    {
        var methods = CoreMethods().ToList();
        var unaudited = methods
            .Where(m => m.IsPublic && m.Writes && !m.Audited)
            .Select(m => m.Key)
            .Where(key => !UnauditedWrites.ContainsKey(key))
            .ToList();

        Assert.True(unaudited.Count == 0,
            "These Core methods save or open a write transaction without recording an audit event (docs/design.md, " +
            "\"Writes\"); record one, or add the method to UnauditedWrites with the reason:\n" + string.Join("\n", unaudited));
    }

    [Fact]
    public void The_unaudited_writes_allowed_are_still_public_methods_that_write()
    {
        var writers = CoreMethods().Where(m => m.IsPublic && m.Writes && !m.Audited).Select(m => m.Key).ToHashSet();
        foreach (var key in UnauditedWrites.Keys)
        {
            Assert.True(writers.Contains(key), $"UnauditedWrites lists {key}, which no longer writes unaudited: remove it.");
        }
    }

    private static Type OwningType(Type type)
    {
        while (type.DeclaringType is { } outer)
        {
            type = outer;
        }

        return type;
    }

    private static bool IsDatabase(Type type) =>
        typeof(DbContext).IsAssignableFrom(type) && type.Assembly == CoreAssembly
        || type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IDbContextFactory<>)
                              && typeof(DbContext).IsAssignableFrom(type.GetGenericArguments()[0]);

    private sealed record CoreMethod(string Key, bool IsPublic, bool Writes, bool Audited);

    /// <summary>
    /// Every method of Core's source (migrations aside) with whether it writes (SaveChangesAsync, InTransactionAsync)
    /// and whether it is audited (…RecordAsync, VersionWriter's ChangeAsync), each also through the methods of the
    /// same file it calls.
    /// </summary>
    private static IEnumerable<CoreMethod> CoreMethods()
    {
        foreach (var file in Directory.EnumerateFiles(CoreSource, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(CoreSource, file).Replace('\\', '/');
            if (relative.StartsWith("Persistence/Migrations/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal)
                || relative.StartsWith("bin/", StringComparison.Ordinal) || relative == "Persistence/RegistryDbContext.cs"
                || relative == "Audit/AuditTrail.cs")
            {
                continue; // The context and the audit trail are the mechanism itself.
            }

            var bodies = Methods(File.ReadAllLines(file));
            var writes = Closure(bodies, body => body.Contains("SaveChangesAsync(", StringComparison.Ordinal)
                                                 || body.Contains("InTransactionAsync(", StringComparison.Ordinal));
            var audited = Closure(bodies, body => AuditCall().IsMatch(body));
            foreach (var (name, (isPublic, _)) in bodies)
            {
                yield return new CoreMethod($"{relative}:{name}", isPublic, writes.Contains(name), audited.Contains(name));
            }
        }
    }

    /// <summary>The names of the methods whose body matches, or that call (by name) one that does.</summary>
    private static HashSet<string> Closure(Dictionary<string, (bool IsPublic, string Body)> bodies, Func<string, bool> matches)
    {
        var found = bodies.Where(b => matches(b.Value.Body)).Select(b => b.Key).ToHashSet();
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var (name, (_, body)) in bodies)
            {
                if (!found.Contains(name) && found.Any(callee => Regex.IsMatch(body, $@"\b{Regex.Escape(callee)}\s*[<(]")))
                {
                    grew = found.Add(name);
                }
            }
        }

        return found;
    }

    /// <summary>Method name → (public?, body) for the methods of a C# file; overloads share a name and their bodies.</summary>
    private static Dictionary<string, (bool IsPublic, string Body)> Methods(string[] lines)
    {
        var methods = new Dictionary<string, (bool IsPublic, string Body)>();
        for (var i = 0; i < lines.Length; i++)
        {
            var header = MethodHeader().Match(lines[i]);
            if (!header.Success || TypeDeclaration().IsMatch(lines[i]))
            {
                continue;
            }

            // The body ends where the brackets opened since the header close: at "}" (a block) or ";" (an expression).
            var end = i;
            for (var depth = 0; end < lines.Length; end++)
            {
                depth += lines[end].Count(c => c is '{' or '(') - lines[end].Count(c => c is '}' or ')');
                if (depth == 0 && (lines[end].TrimEnd().EndsWith(';') || lines[end].Trim() == "}"))
                {
                    break;
                }
            }

            end = Math.Min(end, lines.Length - 1);
            var body = string.Join('\n', lines[i..(end + 1)]);
            var name = header.Groups["name"].Value;
            var isPublic = header.Groups["access"].Value == "public";
            methods[name] = methods.TryGetValue(name, out var other) ? (other.IsPublic || isPublic, other.Body + "\n" + body) : (isPublic, body);
            i = end;
        }

        return methods;
    }

    [GeneratedRegex(@"^(?<indent>\s*)(?<access>public|internal|private|protected)\s(?:[\w<>\[\],.?()\s]+\s)?(?<name>\w+)(?:<[^>(]+>)?\((?!(?!.*=>).*\)\s*;\s*$)")]
    private static partial Regex MethodHeader();

    [GeneratedRegex(@"\b(class|record|struct|interface)\s")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"\w*RecordAsync\(|\bwriter\.ChangeAsync\(|VersionWriter\.ChangeAsync\(")]
    private static partial Regex AuditCall();
}
