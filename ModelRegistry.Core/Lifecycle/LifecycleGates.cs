using ModelRegistry.Core.Common;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Lifecycle;

/// <summary>
/// A policy gate: one condition a version must meet before it may move to a stage (docs/design.md, "Lifecycle policy"),
/// e.g. "has at least one artifact". Gates are registered in DI (<c>services.AddSingleton&lt;ILifecycleGate, …&gt;()</c>)
/// and read their settings from <see cref="LifecyclePolicyOptions"/>. The workflow evaluates every applicable gate
/// when a request is made and again when it is approved; a request is refused with the list of all unmet gates.
/// </summary>
public interface ILifecycleGate
{
    /// <summary>A short name people recognise, e.g. "Artifact", "Model card", "Evaluation results".</summary>
    string Name { get; }

    /// <summary>Whether the gate guards moves to <paramref name="target"/> under the current policy.</summary>
    bool AppliesTo(Stage target);

    /// <summary>
    /// Checks the version. Runs inside the request's or the decision's transaction, on its <see cref="LifecycleGateContext.Db"/>;
    /// it must only read.
    /// </summary>
    Task<GateCheck> EvaluateAsync(LifecycleGateContext context, CancellationToken ct);
}

/// <summary>What a gate is asked about: the version (with its model loaded), the stage it would move to, and the database.</summary>
public sealed record LifecycleGateContext(RegistryDbContext Db, ModelVersion Version, Stage Target);

/// <summary>A gate's verdict and a sentence a person can act on ("No model card yet: add one with the sections …").</summary>
public sealed record GateCheck(bool Passed, string Message)
{
    public static GateCheck Pass(string message) => new(true, message);

    public static GateCheck Fail(string message) => new(false, message);
}

/// <summary>One gate's verdict for a version and a target stage, as pages and the API show it.</summary>
public sealed record GateResult(string Gate, bool Passed, string Message);

/// <summary>Runs the registered gates.</summary>
public sealed class LifecycleGates(IEnumerable<ILifecycleGate> gates)
{
    private readonly IReadOnlyList<ILifecycleGate> _gates = gates.ToList();

    /// <summary>Every applicable gate's verdict for moving <paramref name="version"/> to <paramref name="target"/>, in registration order.</summary>
    public async Task<IReadOnlyList<GateResult>> EvaluateAsync(RegistryDbContext db, ModelVersion version, Stage target,
        CancellationToken ct)
    {
        var context = new LifecycleGateContext(db, version, target);
        var results = new List<GateResult>();
        foreach (var gate in _gates.Where(g => g.AppliesTo(target)))
        {
            var check = await gate.EvaluateAsync(context, ct);
            results.Add(new GateResult(gate.Name, check.Passed, check.Message));
        }

        return results;
    }

    /// <summary>
    /// Throws <see cref="GatesNotMetException"/> listing every failed gate, if any failed; otherwise returns the verdicts
    /// (all passed), which an approval's attestation records.
    /// </summary>
    public async Task<IReadOnlyList<GateResult>> DemandAsync(RegistryDbContext db, ModelVersion version, Stage target, string when,
        CancellationToken ct)
    {
        var results = await EvaluateAsync(db, version, target, ct);
        var unmet = results.Where(r => !r.Passed).ToList();
        if (unmet.Count > 0)
        {
            throw new GatesNotMetException(
                $"Version {version.Number} does not meet the policy for {target} {when}: {string.Join("; ", unmet.Select(u => u.Message))}",
                unmet);
        }

        return results;
    }
}

/// <summary>A transition refused by the lifecycle policy (HTTP 409, listing the unmet gates as <c>unmetGates</c>).</summary>
public sealed class GatesNotMetException(string message, IReadOnlyList<GateResult> unmetGates) : RegistryException(message)
{
    public IReadOnlyList<GateResult> UnmetGates { get; } = unmetGates;
    public override string Title => "Policy gates not met";
}
