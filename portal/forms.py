from django import forms


class ConfirmationForm(forms.Form):
    action = forms.ChoiceField(choices=[("confirm", "Confirm"), ("decline", "Decline")])
