using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Lifecycle;

namespace ModelRegistry.Core.Cards;

/// <summary>Policy gate: before Production a version needs a non-empty model card with the sections the policy names.</summary>
public sealed class ModelCardGate(IOptionsMonitor<LifecyclePolicyOptions> policy) : ILifecycleGate
{
    public string Name => "Model card";

    public bool AppliesTo(Stage target) => target == Stage.Production && policy.CurrentValue.Production.ModelCardSections.Count > 0;

    public async Task<GateCheck> EvaluateAsync(LifecycleGateContext context, CancellationToken ct)
    {
        var required = policy.CurrentValue.Production.ModelCardSections;
        var markdown = await context.Db.CardRevisions.AsNoTracking()
            .Where(r => r.VersionId == context.Version.Id)
            .OrderByDescending(r => r.Number)
            .Select(r => r.Markdown)
            .FirstOrDefaultAsync(ct);
        if (string.IsNullOrWhiteSpace(markdown))
        {
            return GateCheck.Fail($"No model card yet: write one with the sections {string.Join(", ", required)} (Model card tab).");
        }

        var missing = CardSections.Missing(markdown, required);
        return missing.Count == 0
            ? GateCheck.Pass($"The card has the sections {string.Join(", ", required)}.")
            : GateCheck.Fail($"The model card lacks the section{(missing.Count == 1 ? "" : "s")} {string.Join(", ", missing)}.");
    }
}
