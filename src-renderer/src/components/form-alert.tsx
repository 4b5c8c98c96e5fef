/**
 * The one error box of a form or screen: announced by screen readers as soon as it appears. It is
 * shown only while the error applies: the owner clears it when the action is retried, succeeds, its
 * input changes or its panel closes; `onDismiss` adds a button for an error nothing else clears.
 */
export function FormAlert({ title, messages, onDismiss }: { title?: string; messages: readonly string[]; onDismiss?: () => void }) {
  if (messages.length === 0) {
    return null;
  }
  return (
    <div className="alert" role="alert">
      <div className="alert-body">
        {title ? <p className="alert-title">{title}</p> : null}
        {messages.length === 1 ? (
          <p>{messages[0]}</p>
        ) : (
          <ul>
            {messages.map((message) => (
              <li key={message}>{message}</li>
            ))}
          </ul>
        )}
      </div>
      {onDismiss ? (
        <button type="button" className="button button-quiet alert-dismiss" onClick={onDismiss}>
          Dismiss
        </button>
      ) : null}
    </div>
  );
}
